import { describeConfirmation } from './confirmation-code.js';

export enum FingerprintErrorCode {
  /** The module answered with a non-zero confirmation code. */
  Confirmation = 'CONFIRMATION',
  /** No (complete) reply before the command's deadline. */
  Timeout = 'TIMEOUT',
  /** The port closed or the device was unplugged while the command was in flight. */
  Disconnected = 'DISCONNECTED',
  /** The reader is connecting or failed; commands are refused until it is ready. */
  NotReady = 'NOT_READY',
  /** close() was called. */
  Closed = 'CLOSED',
  WrongPassword = 'WRONG_PASSWORD',
  /** The module on the port is not the one paired with this reader (swapped module). */
  IdentityMismatch = 'IDENTITY_MISMATCH',
  /** The reply did not have the shape the datasheet specifies. */
  Protocol = 'PROTOCOL',
  /** The configured model does not have this command. */
  Unsupported = 'UNSUPPORTED',
  LibraryFull = 'LIBRARY_FULL',
  InvalidArgument = 'INVALID_ARGUMENT',
}

export class FingerprintError extends Error {
  override readonly name = 'FingerprintError';
  constructor(
    readonly code: FingerprintErrorCode,
    message: string,
    readonly details: { command?: string; confirmation?: number; reader?: string } = {},
  ) {
    super(message);
  }

  static confirmation(command: string, confirmation: number, reader?: string): FingerprintError {
    return new FingerprintError(
      FingerprintErrorCode.Confirmation,
      `${command} failed: ${describeConfirmation(confirmation)}${reader ? ` (reader ${reader})` : ''}`,
      { command, confirmation, reader },
    );
  }
}
