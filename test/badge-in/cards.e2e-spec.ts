import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { SystemClock } from '@acs/clock';
import { BadgeInService, type BadgeOutcome } from '@acs/badge-in';
import { CardFleet } from '@acs/card-fleet';
import { CredentialService } from '@acs/credentials';
import { cryptoRandom, LedColour } from '@acs/osdp';
import { ReaderLibraryService } from '@acs/reader-fleet';
import type { VirtualController } from '../../hardware/virtual-controller/src/index.js';
import { VirtualOsdpBus, VirtualOsdpSerialAttachment, VirtualPd } from '../../hardware/virtual-osdp-reader/src/index.js';
import { wiegand26 } from '../../hardware/virtual-osdp-reader/src/wiegand.js';
import { findSocat, PtyPair } from '../fingerprint/socat-pty.js';
import { librarySettled } from '../support/library-settled.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { badgeAt, bearer, buildBadgeSite, connectController, enrol, post, setupBadgeApp, until, type BadgeSite } from './badge-in-support.js';

jest.setTimeout(60_000);

/*
 * Issue 17 end to end: the whole server (registry over HTTP, @acs/card-fleet's OsdpBus on the
 * serialport binding, badge-in, the access history, the alarms) with three virtual OSDP PDs on one
 * socat pseudo-terminal, a virtual fingerprint reader at the same door as one of them, and virtual
 * MQTT door controllers that show the unlock. Timings: the spec's 200 ms reply timeout and a
 * 30 ms poll round; the 8 s offline rule runs on the app's fake clock, so nothing waits for it.
 */

const socat = findSocat();
if (!socat) console.warn('cards.e2e: socat not found, SKIPPING the OSDP card reader end-to-end tests (apt-get install socat)');
const describeWithSocat = socat ? describe : describe.skip;

const ALICE_CARD = wiegand26(12, 3401);
const BOB_CARD = wiegand26(12, 3402);
const UNKNOWN_CARD = wiegand26(99, 777);
/** Eight digits: a shorter needle turns up by chance in the ids and hashes of the logs. */
const ALICE_PIN = '86420975';
const OTHER_KEY = Buffer.from('00112233445566778899aabbccddeeff', 'hex');

interface HistoryRow {
  attemptId: string;
  kind: string;
  result: string;
  reason: string;
  readerId: string | null;
  personId: string | null;
  credential?: string;
}

describeWithSocat('OSDP card readers end to end (socat pty, serialport, three PDs on one bus)', () => {
  let t: TestApp;
  let site: BadgeSite;
  let ctlA: VirtualController;
  let ctlB: VirtualController;
  let service: BadgeInService;
  let fleet: CardFleet;
  let dir: string;
  let pty: PtyPair;
  let line: VirtualOsdpBus;
  let attachment: VirtualOsdpSerialAttachment;
  let alice: string;
  let bob: string;
  let busId: string;
  /** Card reader ids by OSDP address: 1 the card door, 2 the suite door (card+PIN), 3 the cage door (card+finger). */
  const cr: Record<1 | 2 | 3, string> = { 1: '', 2: '', 3: '' };
  let cardDoorId: string;
  const seen = new Map<string, string>();

  const pd = (address: number) => line.pd(address)!;
  const patch = (path: string, body: object) => t.http().patch(path).set(bearer(t.adminToken)).send(body).expect(200);
  const state = (readerId: string) => fleet.list().find((s) => s.readerId === readerId);
  /** The card is in and the reader blinks amber for the second factor (no sleeping on a loaded machine). */
  const awaitingSecondFactor = (address: number) =>
    until(`amber at PD ${address}`, () => pd(address).status().leds[0]?.temporary?.onColour === LedColour.Amber || undefined);

  /** The next badge-in outcome decided at one of `readerIds`, with its actions done. */
  const nextOutcome = (readerIds: string[], timeoutMs = 10_000): Promise<BadgeOutcome> =>
    new Promise<BadgeOutcome>((resolve, reject) => {
      const timer = setTimeout(() => {
        service.off('badge', on);
        reject(new Error(`no badge-in at ${readerIds.join(',')} within ${timeoutMs} ms; readers ${JSON.stringify(fleet.list())}`));
      }, timeoutMs);
      const on = (o: BadgeOutcome) => {
        if (!readerIds.includes(o.decision.readerId)) return;
        clearTimeout(timer);
        service.off('badge', on);
        void o.done.then(() => resolve(o), reject);
      };
      service.on('badge', on);
    });

  /** The access history of a door over HTTP, the decision row of one attempt. */
  const historyRow = async (doorId: string, attemptId: string): Promise<HistoryRow> =>
    until(`history row of ${attemptId}`, async () => {
      const res = await t.http().get(`/doors/${doorId}/access-events`).query({ limit: 200 }).set(bearer(t.adminToken));
      expect(res.status).toBe(200);
      return (res.body.items as HistoryRow[]).find((e) => e.attemptId === attemptId && e.kind !== 'follow_up');
    });

  /** Records what the history says of the attempt and checks it against the decision. */
  const recorded = async (doorId: string, o: BadgeOutcome, expected: { reason: string; credential: string }): Promise<HistoryRow> => {
    const row = await historyRow(doorId, o.attemptId);
    expect({ reason: row.reason, result: row.result }).toEqual({ reason: expected.reason, result: o.decision.granted ? 'granted' : 'denied' });
    // The credential column is mapped into the history view on another branch; checked when present.
    if (row.credential !== undefined) expect(row.credential).toBe(expected.credential);
    seen.set(expected.reason, expected.credential);
    return row;
  };

  beforeAll(async () => {
    t = await startTestApp({
      env: { READER_SYNC_INTERVAL_S: '3600', ENROLMENT_TIMEOUT_S: '5', BADGE_POLL_INTERVAL_MS: '10', MQTT_COMMAND_TIMEOUT_MS: '2000', BADGE_UNLOCK_MS: '1000' },
    });
    await setupBadgeApp(t);
    service = t.app.get(BadgeInService);
    fleet = t.app.get(CardFleet);
    // A quick poll round; the reply timeout stays the spec's 200 ms (a loaded machine needs it).
    fleet.busOptions = { pollIntervalMs: 30, reconnect: { initialDelayMs: 50, maxDelayMs: 500 } };
    site = await buildBadgeSite(t);
    ctlA = await connectController(t, site.controllerA);
    ctlB = await connectController(t, site.controllerB);

    dir = mkdtempSync(join(tmpdir(), 'cards-e2e-'));
    pty = new PtyPair(socat!, join(dir, 'pd'), join(dir, 'acu'));
    await pty.start();
    // Three factory-fresh PDs (no key of their own: install mode), each insisting on the Secure Channel.
    line = new VirtualOsdpBus({ pds: [1, 2, 3].map((address) => ({ address, requireSecure: true, baudRate: 115200 })) });
    attachment = new VirtualOsdpSerialAttachment(line);
    await attachment.open(pty.devicePath, 115200);

    // The registry names a device path: the pty behind socat's link (/dev/pts/N).
    const bus = await post<{ id: string }>(t, '/osdp-buses', {
      siteId: site.siteId,
      name: 'Suite RS-485',
      transport: realpathSync(pty.hostPath),
      baudRate: 115200,
    });
    busId = bus.id;
    for (const address of [1, 2, 3] as const) {
      const r = await post<{ id: string; installMode: boolean }>(t, '/card-readers', {
        busId,
        name: `Card reader ${address}`,
        address,
        role: 'door',
        installMode: true,
      });
      if (!r.installMode) throw new Error(`card reader ${address} was created out of install mode`);
      cr[address] = r.id;
    }
    const cardDoor = await post<{ id: string }>(t, '/doors', {
      zoneId: site.suiteZoneId,
      name: 'Suite side door',
      controllerId: site.controllerA.id,
      relayChannel: 2,
      entryCardReaderId: cr[1],
      credentialPolicy: 'card',
    });
    cardDoorId = cardDoor.id;
    await patch(`/doors/${site.suiteDoorId}`, { entryCardReaderId: cr[2], credentialPolicy: 'card+pin' });
    await patch(`/doors/${site.cageDoorId}`, { entryCardReaderId: cr[3], credentialPolicy: 'card+fingerprint' });

    alice = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Alice Cards' })).id;
    bob = (await post<{ id: string }>(t, `/customers/${site.customerId}/people`, { fullName: 'Bob Cards' })).id;
    for (const personId of [alice, bob]) {
      for (const accessLevelId of [site.suiteLevelId, site.cageLevelId]) await post(t, '/grants', { accessLevelId, customerId: site.customerId, personId });
    }
    const credentials = t.app.get(CredentialService);
    const aliceCard = await credentials.issueCard({
      customerId: site.customerId,
      personId: alice,
      read: { format: 'wiegand', bitCount: 26, data: ALICE_CARD },
    });
    await credentials.setPin(aliceCard.id, ALICE_PIN);
    await credentials.issueCard({ customerId: site.customerId, personId: bob, read: { format: 'wiegand', bitCount: 26, data: BOB_CARD } });
    await enrol(t, site, alice, 1, 'alice-right-index');
    await librarySettled(t.app.get(ReaderLibraryService));
    await until('controllers online', () => service.doorViews().every((d) => d.controllerStatus === 'online') || undefined);
  });

  afterAll(async () => {
    await ctlA?.stop();
    await ctlB?.stop();
    await t?.close();
    await attachment?.close();
    await pty?.stop();
    await Promise.all(Object.values(site?.readers ?? {}).map((d) => d.close()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('install mode: each PD comes up under the default key, is given its own, and the registry keeps it', async () => {
    await until(
      'three readers keyed',
      async () => {
        const res = await t.http().get('/card-readers').query({ busId }).set(bearer(t.adminToken));
        const items = res.body.items as Array<{ id: string; keySet: boolean; installMode: boolean }>;
        return items.length === 3 && items.every((r) => r.keySet && !r.installMode) ? items : undefined;
      },
      20_000,
    );
    await until(
      'three readers online under their own key',
      () =>
        [1, 2, 3].every((a) => {
          const s = state(cr[a as 1 | 2 | 3]);
          return s?.online && s.trusted && s.secure === 'scbk';
        }) || undefined,
    );
    for (const address of [1, 2, 3])
      expect(pd(address).status()).toMatchObject({ installMode: false, secure: 'scbk', keyFingerprint: expect.not.stringMatching(/^none$/) });
    // Three different keys.
    expect(new Set([1, 2, 3].map((a) => pd(a).status().keyFingerprint)).size).toBe(3);
  });

  it('card door: a known card unlocks (controller relay), an unknown card is card_unknown', async () => {
    const before = ctlA.relayActivations(2);
    let outcome = nextOutcome([cr[1]]);
    pd(1).presentCard(ALICE_CARD, 26);
    let o = await outcome;
    expect(o.decision).toMatchObject({ granted: true, reason: 'granted', personId: alice, doorId: cardDoorId });
    await until('relay 2 of controller A pulsed', () => ctlA.relayActivations(2) > before || undefined);
    await recorded(cardDoorId, o, { reason: 'granted', credential: 'card' });

    outcome = nextOutcome([cr[1]]);
    pd(1).presentCard(UNKNOWN_CARD, 26);
    o = await outcome;
    expect(o.decision).toMatchObject({ granted: false, reason: 'card_unknown', personId: null });
    await recorded(cardDoorId, o, { reason: 'card_unknown', credential: 'card' });
    expect(ctlA.relayActivations(2)).toBe(before + 1);
  });

  it('card+PIN at the suite door: granted with the right PIN, second_factor_timeout when the PIN comes late', async () => {
    const before = ctlA.relayActivations(1);
    let outcome = nextOutcome([cr[2]]);
    pd(2).presentCard(ALICE_CARD, 26);
    // The card alone decides nothing: the reader is asked for the PIN (amber) and the door stays shut.
    await awaitingSecondFactor(2);
    await sleep(200);
    expect(ctlA.relayActivations(1)).toBe(before);
    pd(2).typeKeys(`${ALICE_PIN}#`);
    let o = await outcome;
    expect(o.decision).toMatchObject({ granted: true, reason: 'granted', personId: alice, doorId: site.suiteDoorId });
    await until('suite door relay pulsed', () => ctlA.relayActivations(1) > before || undefined);
    await recorded(site.suiteDoorId, o, { reason: 'granted', credential: 'card+pin' });

    outcome = nextOutcome([cr[2]]);
    pd(2).presentCard(ALICE_CARD, 26);
    await awaitingSecondFactor(2);
    // Past the 10 s correlation window on the app's clock: the PIN belongs to no attempt. In steps
    // shorter than the bus's 8 s offline time, with poll rounds between them, or every PD would look
    // silent for 11 s, go offline and end the attempt before the PIN (as a real clock jump would).
    for (let step = 0; step < 4; step++) {
      t.clock.advance(2_750);
      await sleep(150);
    }
    pd(2).typeKeys(`${ALICE_PIN}#`);
    o = await outcome;
    expect(o.decision).toMatchObject({ granted: false, reason: 'second_factor_timeout' });
    await recorded(site.suiteDoorId, o, { reason: 'second_factor_timeout', credential: 'card+pin' });
    expect(ctlA.relayActivations(1)).toBe(before + 1);
  });

  it('wrong PINs: pin_wrong until the card locks, then pin_locked even with the right PIN', async () => {
    const reasons: string[] = [];
    for (let i = 0; i < 6; i++) {
      const outcome = nextOutcome([cr[2]]);
      pd(2).presentCard(ALICE_CARD, 26);
      pd(2).typeKeys(i < 5 ? '1111#' : `${ALICE_PIN}#`);
      const o = await outcome;
      expect(o.decision.granted).toBe(false);
      reasons.push(o.decision.reason);
      await recorded(site.suiteDoorId, o, { reason: o.decision.reason, credential: 'card+pin' });
    }
    // The fifth wrong PIN (pinMaxAttempts 5) is still pin_wrong and locks the card's PIN; the right one after it is refused.
    expect(reasons).toEqual(['pin_wrong', 'pin_wrong', 'pin_wrong', 'pin_wrong', 'pin_wrong', 'pin_locked']);
  });

  it('card+finger at the cage door: granted for one person, factor_mismatch for two', async () => {
    const before = ctlB.relayActivations(1);
    const outcome = nextOutcome([cr[3], site.cageEntryId]);
    pd(3).presentCard(ALICE_CARD, 26);
    await awaitingSecondFactor(3);
    const viaFinger = await badgeAt(t, site.readers.cageEntry, site.cageEntryId, 'alice-right-index');
    const o = await outcome;
    expect(o.attemptId).toBe(viaFinger.attemptId);
    expect(o.decision).toMatchObject({ granted: true, reason: 'granted', personId: alice, doorId: site.cageDoorId });
    await until('cage door relay pulsed', () => ctlB.relayActivations(1) > before || undefined);
    await recorded(site.cageDoorId, o, { reason: 'granted', credential: 'card+fingerprint' });

    // Bob's card, Alice's finger.
    const mismatch = nextOutcome([cr[3], site.cageEntryId]);
    pd(3).presentCard(BOB_CARD, 26);
    await awaitingSecondFactor(3);
    await badgeAt(t, site.readers.cageEntry, site.cageEntryId, 'alice-right-index');
    const m = await mismatch;
    expect(m.decision).toMatchObject({ granted: false, reason: 'factor_mismatch' });
    await recorded(site.cageDoorId, m, { reason: 'factor_mismatch', credential: 'card+fingerprint' });
    expect(ctlB.relayActivations(1)).toBe(before + 1);
  });

  it('garbage on the bus: the ACU resyncs, every PD stays online and trusted, the next card is read', async () => {
    // Noise as a line with a bad termination makes it: random bytes, a stray SOM and a cut-off frame.
    // The fleet has no public drop counter yet: read the bus's own (OsdpBus.drops()).
    const drops = () => {
      const open = (fleet as unknown as { open: Map<string, { bus: { drops(): Record<string, number> } }> }).open.get(busId);
      return Object.values(open?.bus.drops() ?? {}).reduce((a, b) => a + b, 0);
    };
    const dropsBefore = drops();
    // A header whose LEN (1400) is plausible swallows the real replies behind it until the ACU's
    // reply timer finds the line quiet past the inter-byte timeout and rescans what it held. That
    // timeout is read on the app's clock, frozen in this file: it runs at real speed for this test
    // (frozen, the framer waited for 1400 bytes and nothing was read for 10 s: random noise made
    // such a header now and then, and failed two CI runs).
    const running = setInterval(() => t.clock.advance(10), 10);
    try {
      const noise = [
        Buffer.from([0x53, 0x81, 0x78, 0x05, 0x04]),
        Buffer.from(cryptoRandom(64)),
        Buffer.from([0x53, 0x81, 0x20, 0x00, 0x04]),
        Buffer.from(cryptoRandom(200)),
        Buffer.from([0xff, 0x53]),
      ];
      for (const chunk of noise) {
        line.emit('output', chunk);
        await sleep(30);
      }
      await until('the noise dropped by the ACU framer', () => drops() > dropsBefore || undefined);
      await sleep(300);
      const outcome = nextOutcome([cr[1]]);
      pd(1).presentCard(ALICE_CARD, 26);
      const o = await outcome;
      expect(o.decision).toMatchObject({ granted: true, reason: 'granted' });
      await until(
        'all three online and trusted again',
        () =>
          [1, 2, 3].every((a) => {
            const s = state(cr[a as 1 | 2 | 3]);
            return s?.online && s.trusted;
          }) || undefined,
      );
    } finally {
      clearInterval(running);
    }
  });

  it('a PD unplugged mid-poll goes offline (the others keep working) and comes back under its own key', async () => {
    const unplugged = pd(1);
    // Pulled out while it answers a poll: the first half of its reply is on the wire, then nothing.
    let cut = false;
    const dying = {
      address: 1,
      handle: (packet: Parameters<VirtualPd['handle']>[0]) => {
        const reply = unplugged.handle(packet);
        if (!reply || cut) return undefined;
        cut = true;
        return reply.subarray(0, Math.ceil(reply.length / 2));
      },
    } as unknown as VirtualPd;
    line.pds[line.pds.indexOf(unplugged)] = dying;
    await until('a reply cut off mid-frame', () => cut || undefined);
    line.pds.splice(line.pds.indexOf(dying), 1);
    // The spec's 8 s without a valid reply, on the app's clock, in steps: the PDs still on the line
    // answer every round (a round is ~0.7 s with PD 1's three timed-out tries; 250 ms of app time per
    // 150 ms real leaves them 8 s until a round takes 4.8 s), while PD 1's last reply ages past it.
    await until(
      'PD 1 offline',
      async () => {
        if (state(cr[1])?.online === false) return true;
        t.clock.advance(250);
        await sleep(150);
        return undefined;
      },
      30_000,
    );
    expect(state(cr[2])).toMatchObject({ online: true, trusted: true });
    // The suite door's reader still reads cards and keys while PD 1 is gone (card+PIN: judged once both are in).
    const outcome = nextOutcome([cr[2]]);
    pd(2).presentCard(UNKNOWN_CARD, 26);
    pd(2).typeKeys('0000#');
    const o = await outcome;
    expect(o.decision.reason).toBe('card_unknown');

    line.pds.unshift(unplugged);
    await until('PD 1 online under its own key', () => {
      const s = state(cr[1]);
      return (s?.online && s.secure === 'scbk') || undefined;
    });
    const back = nextOutcome([cr[1]]);
    pd(1).presentCard(ALICE_CARD, 26);
    expect((await back).decision).toMatchObject({ granted: true, reason: 'granted' });
  });

  it('a PD swapped for one with another key is refused: untrusted, its cards ignored, a tamper alarm at its door', async () => {
    const original = pd(3);
    const impostor = new VirtualPd({
      address: 3,
      scbk: OTHER_KEY,
      requireSecure: true,
      serialNumber: 0x5650_0ff3,
      baudRate: 115200,
      clock: new SystemClock(),
      random: cryptoRandom,
    });
    line.pds[line.pds.indexOf(original)] = impostor;
    await until('PD 3 untrusted', () => state(cr[3])?.trusted === false || undefined, 15_000);
    const alarms = await until('a tamper alarm at the cage door', async () => {
      const res = await t.http().get('/alarms').query({ state: 'open' }).set(bearer(t.adminToken));
      expect(res.status).toBe(200);
      return (res.body as Array<{ kind: string; doorId: string | null; detail: string | null }>).find(
        (a) => a.kind === 'tamper' && a.doorId === site.cageDoorId,
      );
    });
    expect(alarms.detail).toContain(cr[3]);
    expect(alarms.detail).toContain('secure-channel');

    // A card at the impostor decides nothing, and nothing is recorded for it.
    const rowsAtCage = async () =>
      ((await t.http().get(`/doors/${site.cageDoorId}/access-events`).query({ limit: 200 }).set(bearer(t.adminToken))).body.items as HistoryRow[]).length;
    const rowsBefore = await rowsAtCage();
    let decided: BadgeOutcome | undefined;
    const watch = (o: BadgeOutcome) => {
      if (o.decision.readerId === cr[3]) decided = o;
    };
    service.on('badge', watch);
    impostor.presentCard(ALICE_CARD, 26);
    await sleep(1500);
    service.off('badge', watch);
    expect(decided).toBeUndefined();
    expect(await rowsAtCage()).toBe(rowsBefore);
  });

  it("a PD's tamper switch raises a tamper alarm at its door and shows in its state", async () => {
    pd(2).setTamper(true);
    await until('PD 2 tamper', () => state(cr[2])?.tamper || undefined);
    const alarm = await until('a tamper alarm at the suite door', async () => {
      const res = await t.http().get('/alarms').query({ state: 'open' }).set(bearer(t.adminToken));
      return (res.body as Array<{ kind: string; doorId: string | null; detail: string | null }>).find(
        (a) => a.kind === 'tamper' && a.doorId === site.suiteDoorId,
      );
    });
    expect(alarm.detail).toContain('local-status');
    pd(2).setTamper(false);
    await until('PD 2 tamper cleared', () => state(cr[2])?.tamper === false || undefined);
  });

  it('keeps card numbers, PINs and keys out of the logs, and nothing in the card path failed', () => {
    const text = t.logs.text();
    for (const card of [ALICE_CARD, BOB_CARD, UNKNOWN_CARD]) {
      expect(text).not.toContain(card.toString('hex'));
      expect(text).not.toContain(card.toString('base64'));
    }
    expect(text).not.toContain(ALICE_PIN);
    expect(text).not.toContain(OTHER_KEY.toString('hex'));
    // The card path's own warnings and errors: the fleet's (sync, KEYSET, line) and badge-in's credential step.
    const failures = t.logs.lines().filter((l) => {
      const msg = String(l.msg ?? '');
      return (l.context === 'CardReaders' && Number(l.level) >= 40) || /credential (attempt|timeout)|card reader alarm not recorded/.test(msg);
    });
    expect(failures).toEqual([]);
  });

  it('reached the credential reasons of the issue', () => {
    expect([...seen.keys()].sort()).toEqual(['card_unknown', 'factor_mismatch', 'granted', 'pin_locked', 'pin_wrong', 'second_factor_timeout']);
  });
});
