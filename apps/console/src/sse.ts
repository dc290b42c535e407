/**
 * Server-sent events over fetch. The server refuses tokens in query strings (they would end up
 * in proxy logs), and EventSource cannot send an Authorization header (automation users sign
 * the console in with a bearer token), so the console reads the text/event-stream body itself,
 * through the parser the CLI demo and the tests share.
 */
import { readEventStream } from '@acs/event-stream';

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'closed';

export interface StreamOptions {
  url: string;
  /** The request's headers (Api.headers(): the bearer token, or nothing beyond the session cookie). */
  headers: Record<string, string>;
  onEvent: (type: string, data: unknown) => void;
  onState?: (state: StreamState) => void;
  /** Streams that end by design (an enrolment's result) should not be reopened. */
  reconnect?: boolean;
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
        const res = await fetch(opts.url, { headers: { ...opts.headers, accept: 'text/event-stream' }, signal: abort.signal });
        if (!res.ok || !res.body) throw new Error(`stream refused: ${res.status}`);
        setState('live');
        attempt = 0;
        for await (const { event, data } of readEventStream(res.body)) {
          if (event === 'keepalive') continue;
          let parsed: unknown = data;
          try {
            parsed = JSON.parse(data);
          } catch {
            // not JSON: hand over the text
          }
          opts.onEvent(event, parsed);
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
