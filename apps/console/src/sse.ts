/**
 * Server-sent events over fetch. The server refuses tokens in query strings (they would end up
 * in proxy logs), and EventSource cannot send an Authorization header, so the console reads
 * the text/event-stream body itself (WHATWG HTML §9.2 event stream interpretation).
 */
export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface StreamOptions {
  url: string;
  token: string;
  onEvent: (type: string, data: unknown) => void;
  onState?: (state: StreamState) => void;
  /** Streams that end by design (an enrolment's result) should not be reopened. */
  reconnect?: boolean;
}

/** Parses complete events out of `buffer`; returns the unconsumed tail. */
export function parseEventStream(buffer: string, emit: (type: string, data: string) => void): string {
  const blocks = buffer.replace(/\r\n?/g, '\n').split('\n\n');
  const tail = blocks.pop() ?? '';
  for (const block of blocks) {
    let type = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line === '' || line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
    }
    if (data.length > 0) emit(type, data.join('\n'));
  }
  return tail;
}

/** Opens the stream and keeps it open (with backoff) until the returned function is called. */
export function openStream(opts: StreamOptions): () => void {
  const abort = new AbortController();
  let attempt = 0;
  const setState = (s: StreamState) => opts.onState?.(s);

  const run = async (): Promise<void> => {
    while (!abort.signal.aborted) {
      setState(attempt === 0 ? 'connecting' : 'reconnecting');
      try {
        const res = await fetch(opts.url, { headers: { authorization: `Bearer ${opts.token}`, accept: 'text/event-stream' }, signal: abort.signal });
        if (!res.ok || !res.body) throw new Error(`stream refused: ${res.status}`);
        setState('live');
        attempt = 0;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          buffer = parseEventStream(buffer + value, (type, data) => {
            if (type === 'keepalive') return;
            let parsed: unknown = data;
            try {
              parsed = JSON.parse(data);
            } catch {
              // not JSON: hand over the text
            }
            opts.onEvent(type, parsed);
          });
        }
        if (opts.reconnect === false) break;
      } catch (e) {
        if (abort.signal.aborted) break;
        if (opts.reconnect === false) {
          setState('closed');
          throw e;
        }
      }
      attempt += 1;
      // Say so at once: the desk must not read "live" while the next attempt waits its turn.
      if (!abort.signal.aborted) setState('reconnecting');
      await new Promise((r) => setTimeout(r, Math.min(10_000, 250 * 2 ** attempt)));
    }
    setState('closed');
  };
  run().catch(() => setState('closed'));
  return () => abort.abort();
}
