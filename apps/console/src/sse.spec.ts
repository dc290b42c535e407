import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { chunkedBody } from '@acs/event-stream/testing';
import { openStream, type StreamState } from './sse';

/** Runs one stream that ends by design over a body in exactly these chunks. */
async function eventsOf(chunks: string[]): Promise<Array<[string, unknown]>> {
  jest.spyOn(globalThis, 'fetch').mockResolvedValue(new Response(chunkedBody(chunks), { headers: { 'content-type': 'text/event-stream' } }));
  const events: Array<[string, unknown]> = [];
  await new Promise<void>((closed) => {
    openStream({
      url: '/monitor/events',
      headers: { authorization: 'Bearer t' },
      reconnect: false,
      onEvent: (type, data) => events.push([type, data]),
      onState: (s: StreamState) => s === 'closed' && closed(),
    });
  });
  return events;
}

describe('console event stream', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('hands over JSON data by event type and skips keepalives', async () => {
    await expect(eventsOf(['event: keepalive\ndata: {}\n\n', 'event: access\ndata: {"doorId":"d1"}\n\n', 'data: plain\n\n'])).resolves.toEqual([
      ['access', { doorId: 'd1' }],
      ['message', 'plain'],
    ]);
  });

  it('reads every data line of an event', async () => {
    await expect(eventsOf(['event: access\ndata: {"doorId":\ndata: "d1"}\n\n'])).resolves.toEqual([['access', { doorId: 'd1' }]]);
  });

  it('reads a CRLF split across two chunks as one line end', async () => {
    await expect(eventsOf(['event: access\r', '\ndata: {"doorId":"d1"}\r\n\r\n'])).resolves.toEqual([['access', { doorId: 'd1' }]]);
  });
});
