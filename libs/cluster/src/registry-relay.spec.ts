import { describe, expect, it } from '@jest/globals';
import { RegistryChanges, type RegistryChange } from '@acs/registry';
import type { ClusterBus } from './cluster-bus.js';
import { RegistryClusterRelay } from './registry-relay.js';

/** A bus that records what is published and lets the test deliver notices from "another instance". */
function fakeBus() {
  const published: unknown[] = [];
  let handler: ((body: unknown, from: string) => void) | undefined;
  const bus = {
    publish: (_channel: string, body: unknown) => void published.push(body),
    subscribe: async (_channel: string, h: (body: unknown, from: string) => void) => {
      handler = h;
    },
  } as unknown as ClusterBus;
  return { bus, published, deliver: (body: unknown) => handler!(body, 'other') };
}

describe('registry changes across instances', () => {
  it('a contact-only change moves no version here or on the instance it is relayed to; any other change moves both', async () => {
    const here = new RegistryChanges();
    const there = new RegistryChanges();
    const a = fakeBus();
    const b = fakeBus();
    await new RegistryClusterRelay(here, a.bus).onModuleInit();
    await new RegistryClusterRelay(there, b.bus).onModuleInit();
    const seenThere: RegistryChange[] = [];
    there.subscribe((c) => seenThere.push(c));

    here.emit({ kind: 'person', id: 'p1', op: 'updated', customerId: 'c1', contactOnly: true });
    here.emit({ kind: 'person', id: 'p1', op: 'updated', customerId: 'c1' });
    for (const body of a.published) b.deliver(body);

    expect({ here: here.currentVersion, there: there.currentVersion }).toEqual({ here: 1, there: 1 });
    expect(seenThere).toEqual([
      { kind: 'person', id: 'p1', op: 'updated', customerId: 'c1', contactOnly: true, remote: true },
      { kind: 'person', id: 'p1', op: 'updated', customerId: 'c1', remote: true },
    ]);
    // Relayed changes are not relayed again.
    expect(b.published).toEqual([]);
  });
});
