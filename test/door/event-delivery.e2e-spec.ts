import { afterEach, describe, expect, it } from '@jest/globals';
import { EmbeddedBroker } from '@acs/mqtt';
import type { DoorEventRecord } from '@acs/door-control';
import { startServerSide } from '@acs/door-control/testing';
import { newIdentity, startMosquitto, startTestBroker, startVirtualController, Teardown, waitFor } from '@acs/mqtt/testing';
import { InMemoryControllerSecretProvider } from '@acs/mqtt';
import type { VirtualController } from '@acs/mqtt/testing';
import { setTimeout as sleep } from 'node:timers/promises';

/** Drives the controller's inputs: one event every `everyMs` until `total` events exist. */
function eventSource(controller: VirtualController, total: number, everyMs: number): { done: Promise<void>; stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    timer = setInterval(() => {
      if (controller.lastSeq >= total) {
        clearInterval(timer);
        return resolve();
      }
      controller.power(controller.lastSeq % 2 === 0 ? 'battery' : 'mains');
    }, everyMs);
  });
  return { done, stop: () => clearInterval(timer) };
}

const seqs = (record: DoorEventRecord[]): number[] => record.map((e) => e.seq);
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i + 1);

describe('event delivery across outages', () => {
  const teardown = new Teardown();
  afterEach(() => teardown.run());

  it('loses and duplicates nothing when the broker restarts in the middle of an event stream', async () => {
    const TOTAL = 300;
    const tb = await startTestBroker();
    let broker: EmbeddedBroker = tb.broker;
    teardown.add(() => broker.stop());
    const id = tb.addController();
    const controller = teardown.add(await startVirtualController(tb.url, id, { resendIntervalMs: 500 }));
    const side = teardown.add(await startServerSide(tb.url, tb.server, tb.secrets));
    const record: DoorEventRecord[] = [];
    side.doors.on('door-event', (e) => record.push(e));
    let serverDisconnects = 0;
    side.client.onConnectionChange((up) => (up ? undefined : serverDisconnects++));

    const source = eventSource(controller, TOTAL, 2);
    teardown.add(() => source.stop());
    await waitFor(() => controller.lastSeq >= 80, 5000, '80 events before the outage');

    await broker.stop(); // in-memory aedes: sessions, queued messages and retained status are gone
    const seqAtOutage = controller.lastSeq;
    await waitFor(() => controller.lastSeq >= seqAtOutage + 40, 5000, 'events produced while the broker is down');
    expect(controller.connected).toBe(false);

    broker = new EmbeddedBroker({ host: '127.0.0.1', port: tb.port, credentials: tb.credentials });
    await broker.start();
    await source.done;
    await waitFor(() => record.length >= TOTAL && controller.pendingEvents === 0, 15_000, 'every event recorded and acknowledged');

    expect(serverDisconnects).toBeGreaterThanOrEqual(1);
    expect(record).toHaveLength(TOTAL); // none duplicated ...
    expect(seqs(record).sort((x, y) => x - y)).toEqual(range(TOTAL)); // ... none lost
    expect(new Set(record.map((e) => e.epoch)).size).toBe(1);
    expect(side.doors.missingEvents(id.controllerId)).toEqual([]);
    await waitFor(() => side.doors.status(id.controllerId) === 'online', 2000, 'birth republished after the restart');
    // Both sides resubscribed: commands and replies flow again on the new broker.
    await expect(side.doors.unlock(id.controllerId, 1, 100)).resolves.toMatchObject({ ok: true });
  });

  it('loses and duplicates nothing when an external Mosquitto restarts in the middle of an event stream (issue 18)', async () => {
    const TOTAL = 300;
    const server = { username: 'acs-server', password: 'restart-test-server-password' };
    const id = newIdentity();
    // No persistence, as in the embedded case: the restart drops sessions and queued messages, so
    // completeness rests on the controller's buffer and the server's acknowledgements alone.
    const mosquitto = await startMosquitto({ server, controllers: [{ controllerId: id.controllerId, password: id.password }] });
    teardown.add(() => mosquitto.stop());
    const secrets = new InMemoryControllerSecretProvider();
    secrets.set(id.controllerId, id.secret);
    const controller = teardown.add(await startVirtualController(mosquitto.url, id, { resendIntervalMs: 500, reconnectPeriodMs: 200 }));
    const side = teardown.add(await startServerSide(mosquitto.url, server, secrets));
    const record: DoorEventRecord[] = [];
    side.doors.on('door-event', (e) => record.push(e));

    const source = eventSource(controller, TOTAL, 2);
    teardown.add(() => source.stop());
    await waitFor(() => controller.lastSeq >= 80, 5000, '80 events before the restart');
    await mosquitto.restart();
    await source.done;
    await waitFor(() => record.length >= TOTAL && controller.pendingEvents === 0, 20_000, 'every event recorded and acknowledged');
    expect(record).toHaveLength(TOTAL); // none duplicated ...
    expect(seqs(record).sort((x, y) => x - y)).toEqual(range(TOTAL)); // ... none lost
    expect(side.doors.missingEvents(id.controllerId)).toEqual([]);
    expect(mosquitto.log()).toMatch(/mosquitto version .* starting[\s\S]*mosquitto version .* starting/);
    await waitFor(() => side.doors.status(id.controllerId) === 'online', 5000, 'birth republished after the restart');
    await expect(side.doors.unlock(id.controllerId, 1, 100)).resolves.toMatchObject({ ok: true });
  });

  it("delivers events queued in the server's persistent session after the server reconnects", async () => {
    const tb = teardown.add(await startTestBroker());
    const id = tb.addController();
    // A resend interval longer than the test: only the broker's session queue can deliver these.
    const controller = teardown.add(await startVirtualController(tb.url, id, { resendIntervalMs: 60_000 }));
    const clientId = 'acs-server-persistent';
    const first = await startServerSide(tb.url, tb.server, tb.secrets, { clientId });
    const before: DoorEventRecord[] = [];
    first.doors.on('door-event', (e) => before.push(e));
    controller.tamper();
    await waitFor(() => before.length === 1, 2000, 'first event');
    await first.stop();

    controller.power('battery');
    controller.power('mains');
    await sleep(100);

    const after: DoorEventRecord[] = [];
    teardown.add(
      await startServerSide(tb.url, tb.server, tb.secrets, {
        clientId,
        prepare: (doors) => {
          doors.on('door-event', (e) => after.push(e));
          // a fresh service has no sequence history; seed it as the durable record would
          doors.restoreSequence(id.controllerId, controller.epoch, 1);
        },
      }),
    );
    await waitFor(() => after.length === 2, 3000, 'queued events after reconnect');
    expect(after.map((e) => [e.seq, e.detail])).toEqual([
      [2, 'battery'],
      [3, 'mains'],
    ]);
  });
});
