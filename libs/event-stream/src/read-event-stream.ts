import { EventSourceParserStream } from 'eventsource-parser/stream';

/**
 * One event of a `text/event-stream` body, as the WHATWG HTML standard (§9.2.6, "Interpreting an
 * event stream") dispatches it: `data` is every `data:` line of the event joined by "\n", and an
 * event without an `event:` field is a "message".
 */
export interface StreamEvent {
  event: string;
  data: string;
  id?: string;
}

/**
 * Reads the events of a server-sent events body until it ends. Parsing is eventsource-parser's,
 * a maintained implementation of the standard's rules (multi-line data, CR, LF and CRLF line ends
 * even when a CRLF is split across two chunks, comments, BOM), shared by the console, the CLI
 * demo and the tests. This module imports nothing of Nest or Node so the console can bundle it.
 *
 * Stopping the iteration early (break, return, throw) cancels the body.
 */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<StreamEvent, void, undefined> {
  // TextDecoderStream decodes UTF-8 across chunk boundaries (a character split between two
  // chunks is not mangled); the parser then sees text. The widening to ArrayBufferView is what
  // TextDecoderStream accepts: the DOM typings will not match its writable side to Uint8Array.
  const reader = (body as ReadableStream<ArrayBufferView | ArrayBuffer>)
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield { event: value.event || 'message', data: value.data, ...(value.id === undefined ? {} : { id: value.id }) };
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}
