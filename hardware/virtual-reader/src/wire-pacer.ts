/**
 * Half-duplex line model for wire-speed emulation: every byte in either direction occupies the
 * single line for 10 bit times (8N1) at the configured baud (docs/r503-protocol.md §Link and
 * defaults). Jobs run when their bytes would have finished crossing the line. Deadlines are
 * computed from the line schedule, not from when timers actually fired, so timer jitter doesn't
 * accumulate.
 */
export class WirePacer {
  private lineFreeAt = 0;
  private readonly queue: Array<{ at: number; run: () => void }> = [];
  private timer?: NodeJS.Timeout;
  private immediate = false;

  constructor(private baudRate?: number) {}

  setBaudRate(baudRate: number | undefined): void {
    this.baudRate = baudRate;
  }

  get paced(): boolean {
    return this.baudRate !== undefined && this.baudRate > 0;
  }

  /**
   * Run `job` once `bytes` have crossed the line (at once, in order, when unpaced). `notBefore`
   * (performance.now() time) holds the first byte back, e.g. until the module has finished
   * processing the command the bytes answer; later jobs queue behind it.
   */
  schedule(bytes: number, job: () => void, notBefore = 0): void {
    const now = performance.now();
    let at = Math.max(now, notBefore);
    if (this.paced) {
      at = Math.max(at, this.lineFreeAt) + (bytes * 10 * 1000) / this.baudRate!;
      this.lineFreeAt = at;
    }
    this.queue.push({ at, run: job });
    this.arm();
  }

  /** Drop everything queued, e.g. when the port is unplugged. */
  clear(): void {
    this.queue.length = 0;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lineFreeAt = 0;
  }

  private arm(): void {
    if (this.timer || this.immediate || this.queue.length === 0) return;
    const delay = this.queue[0].at - performance.now();
    if (delay <= 0.5) {
      this.immediate = true;
      setImmediate(() => {
        this.immediate = false;
        this.flushDue();
      });
    } else {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flushDue();
      }, Math.floor(delay));
    }
  }

  private flushDue(): void {
    // Re-read the clock per job: a job may schedule another that is already due (unpaced replies).
    while (this.queue.length > 0 && this.queue[0].at <= performance.now() + 0.5) this.queue.shift()!.run();
    this.arm();
  }
}
