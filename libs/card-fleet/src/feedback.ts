import { LedColour, type QueuedCommand } from '@acs/osdp';

/** What the person at the reader is told: the door opens, it does not, or the reader waits for a PIN or finger. */
export type Feedback = 'granted' | 'denied' | 'awaiting';

const TENTHS = (ms: number) => Math.round(ms / 100);

/**
 * LED and buzzer commands for each answer (osdp_LED §6.10, osdp_BUZ §6.11): a temporary state
 * over the reader's permanent one, so the reader falls back to its idle colour by itself even
 * if the line drops. Green 3 s and one short beep for granted; red 2 s and two beeps for denied;
 * amber blinking for the window in which a second factor is expected.
 */
export function feedbackCommands(what: Feedback): QueuedCommand[] {
  const led = (colour: number, onMs: number, offMs: number, totalMs: number): QueuedCommand => ({
    kind: 'LED',
    records: [
      {
        reader: 0,
        led: 0,
        temporary: {
          control: 2,
          onTime: TENTHS(onMs),
          offTime: TENTHS(offMs),
          onColour: colour,
          offColour: offMs > 0 ? LedColour.Black : colour,
          timer: TENTHS(totalMs),
        },
        permanent: { control: 0, onTime: 0, offTime: 0, onColour: 0, offColour: 0 },
      },
    ],
  });
  const buz = (count: number): QueuedCommand => ({ kind: 'BUZ', records: [{ reader: 0, tone: 2, onTime: 1, offTime: 1, count }] });
  switch (what) {
    case 'granted':
      return [led(LedColour.Green, 3000, 0, 3000), buz(1)];
    case 'denied':
      return [led(LedColour.Red, 2000, 0, 2000), buz(2)];
    case 'awaiting':
      return [led(LedColour.Amber, 500, 500, 10_000)];
  }
}
