import { describe, expect, it } from '@jest/globals';
import { decodeCommand, encodeCommand, LedColour } from '@acs/osdp';
import { feedbackCommands } from './feedback.js';

describe('feedbackCommands', () => {
  it.each([
    ['granted', LedColour.Green, 1],
    ['denied', LedColour.Red, 2],
    ['awaiting', LedColour.Amber, undefined],
  ] as const)('%s: a temporary %s LED that encodes and decodes as sent', (what, colour, beeps) => {
    const commands = feedbackCommands(what);
    for (const c of commands) {
      const round = decodeCommand(encodeCommand(c).code, encodeCommand(c).data);
      expect(round).toEqual({ ok: true, value: c });
    }
    const led = commands.find((c) => c.kind === 'LED');
    expect(led?.kind === 'LED' && led.records[0]!.temporary).toMatchObject({ control: 2, onColour: colour });
    // The permanent state is left alone: the reader falls back to its idle colour by itself.
    expect(led?.kind === 'LED' && led.records[0]!.permanent.control).toBe(0);
    const buz = commands.find((c) => c.kind === 'BUZ');
    expect(buz?.kind === 'BUZ' ? buz.records[0]!.count : undefined).toBe(beeps);
  });
});
