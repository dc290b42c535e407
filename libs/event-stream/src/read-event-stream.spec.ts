import { describe, expect, it } from '@jest/globals';
import { readEventStream, type StreamEvent } from './read-event-stream.js';
import { chunkedBody } from './testing/chunked-body.js';

async function all(chunks: Array<string | Uint8Array>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const e of readEventStream(chunkedBody(chunks))) out.push(e);
  return out;
}

describe(readEventStream.name, () => {
  it.each<[string, Array<string | Uint8Array>, StreamEvent[]]>([
    ['one event, LF', ['event: access\ndata: {"a":1}\n\n'], [{ event: 'access', data: '{"a":1}' }]],
    ['no event field is a "message"', ['data: x\n\n'], [{ event: 'message', data: 'x' }]],
    ['every data line, joined by LF', ['data: {"a":\ndata: 1}\n\n'], [{ event: 'message', data: '{"a":\n1}' }]],
    ['CRLF line ends', ['event: e\r\ndata: 1\r\n\r\n'], [{ event: 'e', data: '1' }]],
    [
      'CR line ends',
      ['event: e\rdata: 1\r\r', 'data: 2\r\r\n'],
      [
        { event: 'e', data: '1' },
        { event: 'message', data: '2' },
      ],
    ],
    // A CR at the end of one chunk and its LF at the start of the next are one line end, not two:
    // read as two, the event would end after `event: e` and lose its data.
    ['a CRLF split across two chunks', ['event: e\r', '\ndata: 1\r\n\r\n'], [{ event: 'e', data: '1' }]],
    ['an event split mid-line', ['da', 'ta: 1', '2\n', '\n'], [{ event: 'message', data: '12' }]],
    [
      'a UTF-8 character split across chunks',
      [new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0x20, 0xc3]), new Uint8Array([0xa9, 0x0a, 0x0a])],
      [{ event: 'message', data: 'é' }],
    ],
    ['comments (keepalives) and unknown fields are skipped', [': ping\n\nfoo: bar\ndata: 1\n\n'], [{ event: 'message', data: '1' }]],
    ['the id is kept', ['id: 7\ndata: 1\n\n'], [{ event: 'message', data: '1', id: '7' }]],
    ['an event without data is not dispatched', ['event: keepalive\n\n'], []],
    ['an unterminated last event is dropped, as a browser does', ['data: 1\n\ndata: 2\n'], [{ event: 'message', data: '1' }]],
  ])('%s', async (_name, chunks, expected) => {
    await expect(all(chunks)).resolves.toEqual(expected);
  });

  it('cancels the body when the reader stops early', async () => {
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const e of readEventStream(body)) {
      expect(e.data).toBe('1');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
