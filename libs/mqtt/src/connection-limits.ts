/**
 * Caps on open broker connections, in total and per client address. Every connection counts
 * from accept to close, authenticated or not: a flood from one address cannot take every slot,
 * and the total bounds the broker's memory whatever the number of addresses. A refused
 * connection is closed before any of its bytes are read.
 */
export type ConnectionVerdict =
  { ok: true; release: () => void } | { ok: false; reason: 'too-many-connections' | 'too-many-from-address' | 'address-penalised' };

/** Addresses remembered in the penalty box at most; beyond it the oldest penalty is forgotten. */
const MAX_PENALISED = 10_000;

export class ConnectionLimits {
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  /** address -> time (ms) until which its new connections are closed at once. */
  private readonly penalties = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerAddress: number,
    private readonly penaltyMs = 0,
    private readonly now: () => number = () => 0,
  ) {}

  /**
   * An address that sent a refused packet (oversize, malformed, not CONNECT first) gets its new
   * connections closed at accept for a while: a client that reconnects and repeats at once would
   * otherwise cost a TCP accept, a broker client and a socket buffer of bytes per attempt, and
   * hundreds of attempts a second add up even when each one is refused early.
   */
  penalise(address: string): void {
    if (this.penaltyMs <= 0) return;
    if (this.penalties.size >= MAX_PENALISED) this.penalties.delete(this.penalties.keys().next().value!);
    this.penalties.delete(address);
    this.penalties.set(address, this.now() + this.penaltyMs);
  }

  get open(): number {
    return this.total;
  }

  admit(address: string): ConnectionVerdict {
    const until = this.penalties.get(address);
    if (until !== undefined) {
      if (this.now() < until) return { ok: false, reason: 'address-penalised' };
      this.penalties.delete(address);
    }
    if (this.total >= this.maxTotal) return { ok: false, reason: 'too-many-connections' };
    const n = this.perAddress.get(address) ?? 0;
    if (n >= this.maxPerAddress) return { ok: false, reason: 'too-many-from-address' };
    this.total++;
    this.perAddress.set(address, n + 1);
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total--;
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left <= 0) this.perAddress.delete(address);
        else this.perAddress.set(address, left);
      },
    };
  }
}
