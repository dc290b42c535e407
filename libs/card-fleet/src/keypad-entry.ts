/** Keys between two presses longer apart than this start over: a half-typed PIN is not kept for the next person. */
export const KEYPAD_IDLE_MS = 10_000;
/** Longer than any PIN the store accepts (8 digits): the entry is cut off and judged as typed. */
const MAX_KEYS = 16;

/**
 * Keypad input of one reader turned into PIN entries. OSDP sends keys as they are pressed
 * (osdp_KEYPAD, OSDP v2.2 §7.12), in any grouping; the reader's convention (and libosdp's, and
 * this product's virtual reader's) is `#` (0x0D) to enter and `*` (0x7F) to cancel.
 */
export class KeypadEntry {
  private keys = '';
  private lastAt = -Infinity;

  /** Feeds keys; returns the entries they complete, in order. */
  push(keys: string, at: number): Array<{ pin: string; cancelled: boolean }> {
    if (at - this.lastAt > KEYPAD_IDLE_MS) this.keys = '';
    this.lastAt = at;
    const out: Array<{ pin: string; cancelled: boolean }> = [];
    for (const k of keys) {
      if (k === '#') {
        if (this.keys.length > 0) out.push({ pin: this.keys, cancelled: false });
        this.keys = '';
      } else if (k === '*') {
        out.push({ pin: '', cancelled: true });
        this.keys = '';
      } else if (k >= '0' && k <= '9') {
        this.keys += k;
        if (this.keys.length >= MAX_KEYS) {
          out.push({ pin: this.keys, cancelled: false });
          this.keys = '';
        }
      }
    }
    return out;
  }

  clear(): void {
    this.keys = '';
  }
}
