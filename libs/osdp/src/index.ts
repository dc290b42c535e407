// The lib's public surface: the packet layer, the framer and the command/reply codecs of OSDP
// v2.2 (IEC 60839-11-5). No I/O and no Nest here: the bus loop and the secure channel use these.
export { checksum8, crc16, CRC16_INIT, CRC16_POLY } from './crc.js';
export {
  BROADCAST_ADDRESS,
  carriesMac,
  decodePacket,
  encodePacket,
  HEADER_LENGTH,
  isEncrypted,
  MAC_LENGTH,
  MARK,
  MAX_PACKET_LENGTH,
  openPacket,
  OsdpEncodeError,
  REPLY_BIT,
  ScbType,
  SOM,
  withMark,
  type DecodedPacket,
  type DecodeOptions,
  type DecodeResult,
  type Direction,
  type Integrity,
  type OpenResult,
  type Packet,
  type PacketInit,
  type PacketSecurity,
  type SecurityBlock,
  type Sequence,
} from './packet.js';
// The secure channel (Annex D): key material, MAC chain, data blocks and the set-up machines.
export {
  aesEncryptBlock,
  clientCryptogram,
  constantTimeEqual,
  cryptoRandom,
  deriveSessionKeys,
  initialRMac,
  scbkDefault,
  serverCryptogram,
  type RandomSource,
  type SessionKeys,
} from './secure/keys.js';
export { computeMac, MacChain } from './secure/mac.js';
export { decryptData, encryptData, OsdpDataBlockError } from './secure/cipher.js';
export {
  acuBegin,
  acuStep,
  PD_IDLE,
  pdStep,
  SC_SETUP,
  SCB_DATA_RMAC_I_ACCEPTED,
  SCB_DATA_SCBK,
  SCB_DATA_SCBK_D,
  type AcuEvent,
  type AcuKey,
  type AcuState,
  type AcuStep,
  type HandshakeFailure,
  type HandshakeFailureReason,
  type KeyMode,
  type PdConfig,
  type PdEvent,
  type PdState,
  type PdStep,
  type SecureSession,
} from './secure/handshake.js';
export { INTER_BYTE_TIMEOUT_MS, OsdpFramer, type OsdpFramerDrop, type OsdpFramerOptions, type TruncatedReason } from './framer.js';
export { BAUD_RATES, OsdpPayloadError, type DecodeOutcome, type PayloadErrorReason } from './payload.js';
export {
  CommandCode,
  commandName,
  decodeCommand,
  encodeCommand,
  LedColour,
  TextCommand,
  type BuzzerRecord,
  type Command,
  type CommandKind,
  type LedRecord,
  type LedState,
} from './commands.js';
export { decodeReply, encodeReply, NakCode, RawFormat, ReplyCode, replyName, type Capability, type Reply, type ReplyKind } from './replies.js';
export { OsdpBus, OFFLINE_AFTER_MS, REPLY_TIMEOUT_MS } from './bus/bus.js';
export { createOsdpTransport, DEFAULT_OSDP_BAUD_RATE, type OsdpTransport } from './bus/transport.js';
export { sleep, systemTimers, type OsdpTimer, type OsdpTimers } from './bus/timers.js';
export { SessionSecurity } from './bus/session-security.js';
export {
  OsdpCommandError,
  type BusDropKind,
  type CardRead,
  type KeypadInput,
  type KeyProvider,
  type LocalStatus,
  type OsdpAlarm,
  type OsdpBusEvents,
  type OsdpBusOptions,
  type OsdpCommandErrorCode,
  type PdOptions,
  type QueuedCommand,
  type SecureChannelState,
  type SecureMode,
} from './bus/types.js';
