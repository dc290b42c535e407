import { useQuery } from '@tanstack/react-query';
import type { Api, Schemas } from './api';
import { keys } from './queries';

/**
 * The sentences for badge-in and follow-up reason codes come from one place, the server
 * (GET /badge-in/reasons, the same table the decision engine documents), so Live, History and
 * anything else say the same thing for the same code.
 */
export type Reason = Schemas['ReasonViewDto'];

export type Reasons = Map<string, Reason>;

/**
 * Read once per signed-in session (the table only changes with a server release): never stale.
 * A failed read is not cached as data, so the next page that asks reads again.
 */
export function reasonsQuery(api: Api) {
  return {
    queryKey: keys.reasons(),
    queryFn: async (): Promise<Reasons> => new Map((await api.get<Reason[]>('/badge-in/reasons')).map((r) => [r.code, r])),
    staleTime: Infinity,
  };
}

export function useReasons(api: Api) {
  return useQuery(reasonsQuery(api));
}

/** The sentence for a code; a code the server does not document (newer server) in plain words. */
export function reasonText(reasons: Reasons | undefined, code: string): string {
  const known = reasons?.get(code)?.description;
  if (known) return known;
  const s = code.replace(/[_-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}
