import type { CardFleet, CardPresented, PinEntered } from './card-fleet.js';

export class DeskInputTimeout extends Error {
  override readonly name = 'DeskInputTimeout';
}

/**
 * The next card presented, or PIN entered, at one desk reader: the security desk's issue and
 * set-PIN flows wait for the person to act at the reader, never the browser (issue 17: a PIN is
 * typed on the desk reader's keypad, so staff never see it). Rejects with {@link DeskInputTimeout}
 * when nothing comes in time, and on `signal` abort.
 */
export function nextAtReader<K extends 'card' | 'pin'>(
  fleet: Pick<CardFleet, 'on' | 'off'>,
  kind: K,
  readerId: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<K extends 'card' ? CardPresented : PinEntered> {
  type Out = K extends 'card' ? CardPresented : PinEntered;
  return new Promise<Out>((resolve, reject) => {
    const listener = (e: CardPresented | PinEntered) => {
      if (e.readerId !== readerId) return;
      done();
      resolve(e as Out);
    };
    const onAbort = () => {
      done();
      reject(signal?.reason instanceof Error ? signal.reason : new DeskInputTimeout('cancelled'));
    };
    const timer = setTimeout(() => {
      done();
      reject(new DeskInputTimeout(`nothing presented at the reader within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      fleet.off(kind, listener as never);
      signal?.removeEventListener('abort', onAbort);
    };
    fleet.on(kind, listener as never);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
