import { describe, expect, it } from '@jest/globals';
import { identificationModuleMs, moduleTimeMs, R503_TIMING, type CommandWork } from './module-timing.js';

describe('moduleTimeMs (R503 datasheet figures)', () => {
  const cases: Array<[string, CommandWork, number]> = [
    ['GenImg with a finger: image capture < 0.2 s', { op: 0x01, fingerPresent: true }, 200],
    ['GenImg without a finger: the 02 answer', { op: 0x01, fingerPresent: false }, 10],
    ['GetImageEx with a finger', { op: 0x28, fingerPresent: true }, 200],
    ['GetImageEx without a finger', { op: 0x28 }, 10],
    ['Img2Tz: feature extraction < 500 ms', { op: 0x02 }, 500],
    ['Match: one comparison', { op: 0x03 }, 10],
    ['Search over an empty range', { op: 0x04, templatesCompared: 0 }, 0],
    ['Search over 1 template', { op: 0x04, templatesCompared: 1 }, 10],
    ['Search over 200 templates (a full R503)', { op: 0x04, templatesCompared: 200 }, 2000],
    ['HiSpeedSearch over 50 templates', { op: 0x1b, templatesCompared: 50 }, 500],
    ['Search with a nonsense negative count', { op: 0x04, templatesCompared: -3 }, 0],
    ['Store: no datasheet figure, wire time only', { op: 0x06 }, 0],
    ['AuraLedConfig', { op: 0x35 }, 0],
    ['ReadIndexTable', { op: 0x1f }, 0],
  ];
  it.each(cases)('%s', (_name, work, ms) => {
    expect(moduleTimeMs(R503_TIMING, work)).toBe(ms);
  });

  it('follows a custom profile', () => {
    const fast = { captureMs: 50, noFingerMs: 2, extractMs: 100, comparePerTemplateMs: 1 };
    expect(moduleTimeMs(fast, { op: 0x04, templatesCompared: 1000 })).toBe(1000);
    expect(moduleTimeMs(fast, { op: 0x01, fingerPresent: false })).toBe(2);
  });

  it.each([
    [0, 700],
    [1, 710],
    [200, 2700],
  ])('one identification over %i templates takes %i ms of module time', (templates, ms) => {
    expect(identificationModuleMs(R503_TIMING, templates)).toBe(ms);
  });
});
