// Test helpers for the driver alone. The virtual module (hardware/virtual-reader) depends on this
// lib's codec, so the harnesses that put the two together live there, not here: importing them
// from here would make the lib and the hardware emulator depend on each other.
import type { FingerprintReader, FingerprintReaderOptions } from '../fingerprint-reader.device.js';

export { FakeTransport } from './fake-transport.js';
export { FLUSH, mutateFrame, randomFrame, randomJunk, seededRandom } from './junk.js';

/** Fast deadlines for tests: failures show up in milliseconds, not seconds. */
export const FAST_READER_OPTIONS: Partial<FingerprintReaderOptions> = {
  commandTimeoutMs: 250,
  timeouts: { GenImg: 250, GetImageEx: 250, Search: 400, Store: 400, Empty: 400 },
  retries: 1,
  reconnect: { initialDelayMs: 20, maxDelayMs: 200, factor: 2, failAfterAttempts: 3 },
};

/** Wait for a reader state, failing after `timeoutMs` with the state it was in. */
export function waitForState(reader: FingerprintReader, state: FingerprintReader['state'], timeoutMs = 2000): Promise<void> {
  if (reader.state === state) return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reader.off('state', onState);
      reject(new Error(`reader ${reader.name} did not reach ${state} within ${timeoutMs} ms (is ${reader.state})`));
    }, timeoutMs);
    const onState = (change: { to: string }) => {
      if (change.to !== state) return;
      clearTimeout(timer);
      reader.off('state', onState);
      resolve();
    };
    reader.on('state', onState);
  });
}
