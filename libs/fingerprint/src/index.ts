// The lib's public surface: what other libs, the hardware emulator and the tests use. Everything
// else (link, connection, command and flow layers, transports, parsers) is reached through
// FingerprintReader; add a name here only when something outside the lib needs it.

// The driver, and what callers name when they hold one.
export { FingerprintReader, type FingerprintReaderOptions, type ReaderState, type ReaderStateChange } from './fingerprint-reader.device.js';
export { FingerprintError, FingerprintErrorCode } from './fingerprint.errors.js';
export { ConfirmationCode } from './confirmation-code.js';
export { AuraColour, AuraControl, SysParaRegister } from './fingerprint.commands.js';

// The protocol codec, for the emulated module (hardware/virtual-reader) and byte-level tests.
export {
  DEFAULT_ADDRESS,
  decodePacket,
  encodeDataPackets,
  encodePacket,
  FRAME_OVERHEAD,
  MAX_COMMAND_CONTENT_LENGTH,
  PACKET_SIZES,
  Pid,
  READY_BYTE,
  toHex,
  type Packet,
} from './fingerprint.codec.js';
export { encodeCommand, encodeIndexTable, encodeProductInfo, encodeSystemParameters } from './fingerprint.commands.js';
export { FingerprintFramer, type FramerDrop } from './fingerprint.framer.js';
export { R503 } from './model-profile.js';

// The byte transports (serial device or tcp:// serial device server), shared with libs/osdp's bus.
export { createTransport, type TransportFactoryOptions } from './transports/transport.factory.js';
export type { FingerprintTransport, TransportCloseInfo } from './transport.js';
