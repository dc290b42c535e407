import { describe, expect, it } from '@jest/globals';
import type { DeviceClaim, DeviceOwnership } from '@acs/cluster';
import { loadConfig } from '@acs/config';
import type { DeviceService, DeviceWiringService, RegistryChanges } from '@acs/registry';
import { RegistryControllerSecrets } from './registry-credentials.js';

describe('RegistryControllerSecrets.fenceFor', () => {
  const wiring = { controllerByMqttId: async () => ({ id: 'c1', host: 'dc1-a', failoverGroup: 'g1' }) } as unknown as DeviceWiringService;
  const changes = { subscribe: () => () => undefined } as unknown as RegistryChanges;
  const config = loadConfig({ INSTANCE_ID: 'dc1-a', FAILOVER_GROUPS: 'g1' });
  const secrets = (claim: DeviceClaim) =>
    new RegistryControllerSecrets(wiring, {} as DeviceService, changes, config, { claim: () => claim } as unknown as DeviceOwnership);
  const fence = { lease: 'devices:g1:dc1-a', token: 4 };

  it.each<[string, DeviceClaim, number | null | false, number | null | false]>([
    ['held by its lease: the token for both', { mine: true, fence }, 4, 4],
    ['kept only through a database outage: the token for serving, none for staff commands', { mine: true, fence, throughOutage: true }, 4, null],
    ['served by another instance', { mine: false }, false, false],
    ['a controller that stays with its host', { mine: true, fence: null }, null, null],
  ])('%s', async (_label, claim, serve, staff) => {
    const s = secrets(claim);
    expect(await s.fenceFor('ctl-1')).toBe(serve);
    expect(await s.fenceFor('ctl-1', 'staff')).toBe(staff);
  });
});

describe('RegistryControllerSecrets after a controller change', () => {
  const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

  function setup() {
    let listener: (c: { kind: string }) => void = () => undefined;
    const db = { up: true, reads: 0 };
    const wiring = {
      controllerByMqttId: async () => {
        db.reads++;
        if (!db.up) throw unreachable();
        return { id: 'c1', host: 'dc1-a', failoverGroup: null };
      },
    } as unknown as DeviceWiringService;
    const devices = { controllerSigningSecret: async () => Buffer.from('secret-1') } as unknown as DeviceService;
    const changes = { subscribe: (l: typeof listener) => ((listener = l), () => undefined) } as unknown as RegistryChanges;
    const s = new RegistryControllerSecrets(wiring, devices, changes, loadConfig({ INSTANCE_ID: 'dc1-a' }));
    return { s, db, change: () => listener({ kind: 'controller' }) };
  }

  it('reads the registry again, and while the database is unreachable answers with what it knew before', async () => {
    const { s, db, change } = setup();
    expect(await s.getSecret('ctl-1')).toEqual(Buffer.from('secret-1'));
    expect(await s.owns('ctl-1')).toBe(true);
    change();
    db.up = false;
    const before = db.reads;
    expect(await s.getSecret('ctl-1')).toEqual(Buffer.from('secret-1'));
    expect(await s.owns('ctl-1')).toBe(true);
    expect(db.reads).toBeGreaterThan(before);
  });

  it('knows nothing it never read: an unknown controller still fails while the database is unreachable', async () => {
    const { s, db } = setup();
    db.up = false;
    await expect(s.getSecret('ctl-2')).rejects.toThrow('ECONNREFUSED');
  });
});
