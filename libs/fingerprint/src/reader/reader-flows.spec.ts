import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { ConfirmationCode } from '../confirmation-code.js';
import { FingerprintErrorCode } from '../fingerprint.errors.js';
import { R30X, R503, type ModelProfile } from '../model-profile.js';
import { captureFinger, enroll, findFreeSlot, identify, waitForFingerLift, type FlowCommands } from './reader-flows.js';
import type { ReaderInfo, SearchMatch } from './reader.types.js';

// The flows at their seam: which commands they issue in which order, over a scripted reader that
// records the calls. No bytes here; the commands' bytes are reader-commands.spec's business.

interface Scripted extends FlowCommands {
  calls: string[];
}

function scripted(
  options: {
    profile?: ModelProfile;
    capacity?: number | null;
    /** Successive GenImg answers (true = finger on the sensor); the last one repeats. */
    fingers?: boolean[];
    used?: number[];
    found?: SearchMatch | null;
    clock?: FakeClock;
    /** ms the clock moves per GenImg. */
    tickMs?: number;
  } = {},
): Scripted {
  const fingers = [...(options.fingers ?? [true])];
  const calls: string[] = [];
  const capture = async (name: string) => {
    calls.push(name);
    options.clock?.advance(options.tickMs ?? 0);
    return fingers.length > 1 ? fingers.shift()! : fingers[0];
  };
  return {
    calls,
    name: 'door-1-in',
    profile: options.profile ?? R503,
    info: options.capacity === null ? undefined : ({ capacity: options.capacity ?? 10 } as ReaderInfo),
    captureImage: () => capture('GenImg'),
    captureImageEx: () => capture('GetImageEx'),
    imageToTemplate: async (b) => void calls.push(`Img2Tz ${b}`),
    createModel: async () => void calls.push('RegModel'),
    search: async (b = 1) => {
      calls.push(`Search ${b}`);
      return options.found ?? null;
    },
    store: async (b, slot) => void calls.push(`Store ${b} ${slot}`),
    listTemplateIds: async () => {
      calls.push('ReadIndexTable');
      return options.used ?? [];
    },
    uploadTemplate: async (b = 1) => {
      calls.push(`UpChar ${b}`);
      return Buffer.from('template');
    },
  };
}

const fast = { pollIntervalMs: 0 };

describe('reader flows', () => {
  it.each([
    ['R503 (GetImageEx refuses poor images)', R503, {}, 'GetImageEx'],
    ['R503 with the poor-image check off', R503, { poorImageCheck: false }, 'GenImg'],
    ['R30x (no GetImageEx)', R30X, {}, 'GenImg'],
  ])('captureFinger on %s polls with the right command, then extracts features', async (_what, profile, extra, capture) => {
    const reader = scripted({ profile, fingers: [false, false, true] });
    await captureFinger(reader, new FakeClock(), 2, { ...fast, ...extra });
    expect(reader.calls).toEqual([capture, capture, capture, 'Img2Tz 2']);
  });

  it('gives up on a finger that never comes at the deadline of the injected clock', async () => {
    const clock = new FakeClock();
    const reader = scripted({ fingers: [false], clock, tickMs: 400 });
    await expect(captureFinger(reader, clock, 1, { ...fast, timeoutMs: 1000 })).rejects.toMatchObject({
      code: FingerprintErrorCode.Timeout,
      message: 'no finger placed on door-1-in within 1000 ms',
    });
    expect(reader.calls).toEqual(['GetImageEx', 'GetImageEx', 'GetImageEx']);
  });

  it('waits for the finger to lift, and times out if it stays', async () => {
    const lifted = scripted({ fingers: [true, true, false] });
    await waitForFingerLift(lifted, new FakeClock(), fast);
    expect(lifted.calls).toEqual(['GenImg', 'GenImg', 'GenImg']);

    const clock = new FakeClock();
    const stuck = scripted({ fingers: [true], clock, tickMs: 600 });
    await expect(waitForFingerLift(stuck, clock, { ...fast, timeoutMs: 1000 })).rejects.toMatchObject({ code: FingerprintErrorCode.Timeout });
  });

  it.each([
    [[], 10, 0],
    [[0, 1, 2], 10, 3],
    [[0, 2, 3], 10, 1],
    [[1, 2, 3, 4, 5, 6, 7, 8, 9], 10, 0],
  ])('findFreeSlot with %j used of %i slots picks %i', async (used, capacity, slot) => {
    await expect(findFreeSlot(scripted({ used, capacity }))).resolves.toBe(slot);
  });

  it('reports a full library as LIBRARY_FULL, and a reader without a handshake as NOT_READY', async () => {
    await expect(findFreeSlot(scripted({ used: [0, 1, 2], capacity: 3 }))).rejects.toMatchObject({
      code: FingerprintErrorCode.LibraryFull,
      details: { confirmation: ConfirmationCode.LibraryFull },
    });
    await expect(findFreeSlot(scripted({ capacity: null }))).rejects.toMatchObject({ code: FingerprintErrorCode.NotReady });
  });

  it('identifies with one capture and a search over buffer 1', async () => {
    const reader = scripted({ found: { pageId: 4, score: 120 } });
    await expect(identify(reader, new FakeClock(), fast)).resolves.toEqual({ pageId: 4, score: 120 });
    expect(reader.calls).toEqual(['GetImageEx', 'Img2Tz 1', 'Search 1']);
  });

  it('enrols: capture, lift, capture, merge, duplicate check, store in the first free slot, upload', async () => {
    const reader = scripted({ fingers: [true, false, true], used: [0] });
    await expect(enroll(reader, new FakeClock(), fast)).resolves.toEqual({ slot: 1, template: Buffer.from('template') });
    expect(reader.calls).toEqual([
      'GetImageEx',
      'Img2Tz 1',
      'GenImg',
      'GetImageEx',
      'Img2Tz 2',
      'RegModel',
      'Search 1',
      'ReadIndexTable',
      'Store 1 1',
      'UpChar 1',
    ]);
  });

  it('refuses to enrol a finger already in the library unless told to, and stores nothing', async () => {
    const duplicate = scripted({ fingers: [true, false, true], found: { pageId: 2, score: 200 } });
    await expect(enroll(duplicate, new FakeClock(), fast)).rejects.toMatchObject({
      details: { command: 'enroll', confirmation: ConfirmationCode.AlreadyExists },
    });
    expect(duplicate.calls.filter((c) => c.startsWith('Store'))).toEqual([]);

    const allowed = scripted({ fingers: [true, false, true], found: { pageId: 2, score: 200 } });
    await expect(enroll(allowed, new FakeClock(), { ...fast, allowDuplicate: true, slot: 7 })).resolves.toMatchObject({ slot: 7 });
    expect(allowed.calls).not.toContain('Search 1');
    expect(allowed.calls).toContain('Store 1 7');
  });
});
