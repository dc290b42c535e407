/**
 * Caps on open broker connections, in total and per client address. Every connection counts
 * from accept to close, authenticated or not: a flood from one address cannot take every slot,
 * and the total bounds the broker's memory whatever the number of addresses. A refused
 * connection is closed before any of its bytes are read.
 */
export type ConnectionVerdict = { ok: true; release: () => void } | { ok: false; reason: 'too-many-connections' | 'too-many-from-address' };

export class ConnectionLimits {
  private total = 0;
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly maxTotal: number,
    private readonly maxPerAddress: number,
  ) {}

  get open(): number {
    return this.total;
  }

  admit(address: string): ConnectionVerdict {
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
