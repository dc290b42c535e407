import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { chunkedBody } from '@acs/event-stream/testing';
import { openStream } from './demo.js';

/** The demo's live stream over a body in exactly these chunks; resolves with what it printed from. */
async function eventsOf(chunks: string[]): Promise<Array<Record<string, unknown>>> {
  jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(chunkedBody([...chunks, 'data: {"end":true}\n\n'])));
  const events: Array<Record<string, unknown>> = [];
  await new Promise<void>((end) => {
    void openStream('http://127.0.0.1/monitor/events', 't', (e) => (e.end ? end() : events.push(e)));
  });
  return events;
}

describe('demo live stream', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('reads every data line of an event and skips keepalives', async () => {
    await expect(eventsOf(['event: keepalive\ndata: {}\n\n', 'event: attempt\ndata: {"type":"attempt",\ndata: "result":"granted"}\n\n'])).resolves.toEqual([
      { type: 'attempt', result: 'granted' },
    ]);
  });

  it('reads a CRLF split across two chunks as one line end', async () => {
    await expect(eventsOf(['event: alarm\r', '\ndata: {"type":"alarm"}\r\n\r\n'])).resolves.toEqual([{ type: 'alarm' }]);
  });
});
