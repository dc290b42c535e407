import { afterEach, describe, expect, it } from '@jest/globals';
import type { DoorEventRecord } from '@acs/door-control';
import { startServerSide } from '@acs/door-control/testing';
import { startTestBroker, startVirtualController, Teardown, waitFor } from '@acs/mqtt/testing';
import { setTimeout as sleep } from 'node:timers/promises';

describe("who records a controller's events", () => {
  const teardown = new Teardown();
  afterEach(() => teardown.run());

  it('holds events from start-up until the application releases them: none handled by nobody, none acknowledged early', async () => {
    const tb = teardown.add(await startTestBroker());
    const id = tb.addController();
    const controller = teardown.add(await startVirtualController(tb.url, id, { resendIntervalMs: 60_000 }));
    const side = teardown.add(await startServerSide(tb.url, tb.server, tb.secrets, { holdEvents: true }));
    for (let i = 0; i < 5; i++) controller.power(i % 2 === 0 ? 'battery' : 'mains');
    await waitFor(() => controller.lastSeq >= 5, 2000, 'five events produced');
    await sleep(300);
    // Held: not emitted and, above all, not acknowledged (the controller would drop them).
    expect(controller.pendingEvents).toBe(5);

    const record: DoorEventRecord[] = [];
    side.doors.on('door-event', (e) => record.push(e));
    side.doors.releaseEvents();
    await waitFor(() => record.length === 5 && controller.pendingEvents === 0, 5000, 'held events handled and acknowledged');
    expect(record.map((e) => e.seq)).toEqual([1, 2, 3, 4, 5]);
  });

  it("leaves another instance's controller alone: shows its door state, records and acknowledges nothing", async () => {
    const tb = teardown.add(await startTestBroker());
    const id = tb.addController();
    // Unacknowledged events are resent every second: the owner, once up, gets the ones it missed.
    const controller = teardown.add(await startVirtualController(tb.url, id, { resendIntervalMs: 1000 }));
    const notOurs = Object.assign(Object.create(tb.secrets) as typeof tb.secrets, { owns: async () => false });
    const other = teardown.add(await startServerSide(tb.url, tb.server, notOurs));
    const seen: DoorEventRecord[] = [];
    other.doors.on('door-event', (e) => seen.push(e));

    controller.openDoor(1);
    await waitFor(() => other.doors.doorState(id.controllerId, 1)?.open === true, 2000, 'the door shown open');
    await sleep(300);
    expect(seen).toEqual([]);
    expect(controller.pendingEvents).toBeGreaterThan(0);

    // The owner comes up and gets them all (the controller resends what nobody acknowledged).
    const owner = teardown.add(await startServerSide(tb.url, tb.server, tb.secrets));
    const recorded: DoorEventRecord[] = [];
    owner.doors.on('door-event', (e) => recorded.push(e));
    controller.closeDoor(1);
    await waitFor(() => recorded.some((e) => e.type === 'closed') && controller.pendingEvents === 0, 8000, 'the owner records and acknowledges');
    // Including the opening that happened while only the other instance was listening.
    expect(recorded.map((e) => e.type)).toEqual(expect.arrayContaining(['forced-open', 'closed']));
    expect(seen).toEqual([]);
  }, 20_000);
});
