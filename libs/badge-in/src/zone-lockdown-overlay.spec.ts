import { describe, expect, it } from '@jest/globals';
import type { RegistrySnapshot } from '@acs/access-rules';
import { ZoneLockdownOverlay } from './zone-lockdown-overlay.js';

const zone = (id: string, lockdown: boolean) => ({ id, siteId: 'site', lockdown, antiPassback: 'off', interlockGroup: null, twoPersonWindowSeconds: null });
const snapshotWith = (...zones: ReturnType<typeof zone>[]) => ({ zones: new Map(zones.map((z) => [z.id, z])) }) as unknown as RegistrySnapshot;

describe(ZoneLockdownOverlay.name, () => {
  it('lays owed lockdown states over a snapshot without changing the one given', () => {
    const o = new ZoneLockdownOverlay();
    const loaded = snapshotWith(zone('z1', false), zone('z2', false));
    expect(o.apply(loaded)).toBe(loaded);
    o.set(['z1', 'gone'], true);
    const seen = o.apply(loaded);
    expect(seen.zones.get('z1')?.lockdown).toBe(true);
    expect(seen.zones.get('z2')?.lockdown).toBe(false);
    expect(seen.zones.has('gone')).toBe(false);
    expect(loaded.zones.get('z1')?.lockdown).toBe(false);
  });

  it('keeps the latest state until the last owed change of a zone is written', () => {
    const o = new ZoneLockdownOverlay();
    o.set(['z1'], true);
    o.set(['z1'], false);
    o.set(['z1'], true);
    // The registry got the first two; it still says false, the operator's last word is true.
    o.written(['z1']);
    o.written(['z1']);
    expect(o.apply(snapshotWith(zone('z1', false))).zones.get('z1')?.lockdown).toBe(true);
    o.written(['z1']);
    expect(o.size).toBe(0);
    expect(o.apply(snapshotWith(zone('z1', false))).zones.get('z1')?.lockdown).toBe(false);
  });
});
