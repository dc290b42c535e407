import * as flows from './reader/reader-flows.js';
import { ReaderCommands } from './reader/reader-commands.js';
import type { SearchMatch } from './reader/reader.types.js';

export type {
  FingerprintLogger,
  FingerprintReaderOptions,
  PairingOptions,
  ReaderCounters,
  ReaderInfo,
  ReaderState,
  ReaderStateChange,
  ReconnectOptions,
  SearchMatch,
} from './reader/reader.types.js';

/**
 * Driver for one ZhianTec-family module on one port, in three layers: the link and transaction
 * layer ({@link ReaderLink} for bytes, one outstanding command, deadlines, retries and settle
 * periods; {@link ReaderConnection} for connect, reconnect with backoff and the identity check on
 * every connect), the command API ({@link ReaderCommands}, one method per instruction) and, here,
 * the enrol and identify flows (reader-flows.ts) that sequence those commands.
 *
 * Expected outcomes are return values (no finger → `false`, no match → `null`); everything else
 * the module refuses is a {@link FingerprintError} naming the command and the confirmation code.
 */
export class FingerprintReader extends ReaderCommands {
  /** Poll GenImg until a finger is captured, then extract features into `bufferId`. */
  captureFinger(bufferId = 1, options: flows.CaptureOptions = {}): Promise<void> {
    return flows.captureFinger(this, this.clock, bufferId, options);
  }

  /** Wait until GenImg reports no finger (between enrolment captures). */
  waitForFingerLift(options: flows.PollOptions = {}): Promise<void> {
    return flows.waitForFingerLift(this, this.clock, options);
  }

  /** First free slot from ReadIndexTable; throws LIBRARY_FULL when there is none. */
  findFreeSlot(): Promise<number> {
    return flows.findFreeSlot(this);
  }

  /** Store a character buffer in the first free slot; returns the slot. */
  async storeInFreeSlot(bufferId = 1): Promise<number> {
    const slot = await this.findFreeSlot();
    await this.store(bufferId, slot);
    return slot;
  }

  /** 1:N identification: capture, then Search over the whole library. */
  identify(options: flows.PollOptions = {}): Promise<SearchMatch | null> {
    return flows.identify(this, this.clock, options);
  }

  /** Two-capture enrolment; returns the slot and the template (UpChar) for the server's copy. */
  enroll(options: flows.EnrollOptions = {}): Promise<{ slot: number; template: Buffer }> {
    return flows.enroll(this, this.clock, options);
  }
}
