import type { Api, Schemas } from './api';
import { useLoad } from './ui';

/**
 * The sentences for badge-in and follow-up reason codes come from one place, the server
 * (GET /badge-in/reasons, the same table the decision engine documents), so Live, History and
 * anything else say the same thing for the same code.
 */
export type Reason = Schemas['ReasonViewDto'];

export type Reasons = Map<string, Reason>;

const loaded = new WeakMap<Api, Promise<Reasons>>();

/** Read once per signed-in session (the table only changes with a server release). */
export function loadReasons(api: Api): Promise<Reasons> {
  let p = loaded.get(api);
  if (!p) {
    p = api.get<Reason[]>('/badge-in/reasons').then((list) => new Map(list.map((r) => [r.code, r])));
    // A failed read should not stick for the rest of the session.
    p.catch(() => loaded.delete(api));
    loaded.set(api, p);
  }
  return p;
}

export function useReasons(api: Api) {
  return useLoad(() => loadReasons(api), [api]);
}

/** The sentence for a code; a code the server does not document (newer server) in plain words. */
export function reasonText(reasons: Reasons | undefined, code: string): string {
  const known = reasons?.get(code)?.description;
  if (known) return known;
  const s = code.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
