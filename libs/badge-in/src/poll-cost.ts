/**
 * What finger detection by polling costs the serial line. An idle poll is one GenImg and its
 * `02` acknowledge: 12 bytes each way (the datasheet's worked frame `EF 01 FF FF FF FF 01 00 03
 * 01 00 05` and an acknowledge with a confirmation code only; docs/r503-protocol.md §Link and
 * defaults), 10 bit times per byte at 8N1.
 */
export const IDLE_POLL_BYTES = 24;
/** The R503's factory speed, which the driver opens every fingerprint reader at. */
export const DEFAULT_READER_BAUD = 57_600;

/** Milliseconds `bytes` occupy a UART line at `baudRate` (8N1: 10 bits per byte). */
export function lineMs(bytes: number, baudRate: number): number {
  return (bytes * 10 * 1000) / baudRate;
}

export interface PollPolicy {
  /** BADGE_POLL_INTERVAL_MS: the period from the start of one poll to the start of the next. */
  intervalMs: number;
  /** BADGE_POLL_IDLE_BACKOFF: an idle reader's period grows ×1.5 per poll up to this factor (1: never). */
  idleBackoff: number;
  /** BADGE_POLL_LINE_SHARE / 100: the most of the line an idle reader's polls may take. */
  maxLineShare: number;
  baudRate: number;
}

/**
 * The shortest poll period the policy allows: the configured interval, or longer when polls that
 * often would take more than `maxLineShare` of the line (a short interval on a slow line).
 */
export function basePollPeriodMs(p: PollPolicy): number {
  return Math.max(p.intervalMs, Math.ceil(lineMs(IDLE_POLL_BYTES, p.baudRate) / p.maxLineShare));
}

/** The longest period an idle reader backs off to. */
export function maxPollPeriodMs(p: PollPolicy): number {
  return basePollPeriodMs(p) * Math.max(1, p.idleBackoff);
}

export interface PollCost {
  periodMs: number;
  pollsPerSecond: number;
  /** Both directions together (the line is half duplex). */
  bytesPerSecond: number;
  /** Fraction of the line's time the polls occupy, 0..1. */
  lineShare: number;
}

/** Polls, bytes and line time per second of an idle reader polled every `periodMs`. */
export function idlePollCost(periodMs: number, baudRate: number): PollCost {
  const pollsPerSecond = 1000 / periodMs;
  return {
    periodMs,
    pollsPerSecond,
    bytesPerSecond: pollsPerSecond * IDLE_POLL_BYTES,
    lineShare: lineMs(IDLE_POLL_BYTES, baudRate) / periodMs,
  };
}
