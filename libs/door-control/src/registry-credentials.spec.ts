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
