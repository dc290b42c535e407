import type { Schemas } from '../../api';
import type { Tone } from '../../ui';

export type AccessRequest = Schemas['AccessRequestView'];
export type RequestableLevel = Schemas['RequestableLevelView'];
export type RequestKind = AccessRequest['kind'];

export const KIND_LABEL: Record<RequestKind, string> = {
  add_person: 'Add a person',
  grant: 'Give access',
  remove: 'End access',
};

export const STATUS_TONE: Record<AccessRequest['status'], Tone> = {
  pending: 'warn',
  approved: 'ok',
  applied: 'ok',
  refused: 'bad',
};

/** `2026-12-01T00:00:00.000Z – 2027-01-01…`, or "open" on either side. */
export function periodText(r: Pick<AccessRequest, 'validFrom' | 'validUntil'>, format: (v: string) => string): string {
  if (!r.validFrom && !r.validUntil) return '—';
  return `${r.validFrom ? format(r.validFrom) : 'now'} – ${r.validUntil ? format(r.validUntil) : 'open'}`;
}
