import type { Api } from '../../api';
import type { StaffRole } from '../../session';

/**
 * Names for the ids in the audit trail, so the desk reads "customer Acme B.V." rather than a cut
 * id. Only configuration and company names, which every staff role may list; person names are
 * not looked up here (each read of a person is itself an audited access to personal data), and
 * staff user names only for admins, the one role that may list staff accounts.
 */
export type AuditNames = Map<string, string>;

const LISTS: Array<[string, (x: Record<string, unknown>) => unknown]> = [
  ['/sites', (x) => x.name],
  ['/zones', (x) => x.name],
  ['/doors', (x) => x.name],
  ['/readers', (x) => x.name],
  ['/controllers', (x) => x.name],
  ['/customers', (x) => x.companyName],
  ['/schedules', (x) => x.name],
  ['/access-levels', (x) => x.name],
];

export async function loadAuditNames(api: Api, role: StaffRole): Promise<AuditNames> {
  const lists = [...LISTS, ...(role === 'admin' ? ([['/staff', (x: Record<string, unknown>) => x.username]] as typeof LISTS) : [])];
  const names: AuditNames = new Map([['acsctl', 'acsctl (command line)']]);
  const results = await Promise.allSettled(lists.map(([path]) => api.all<Record<string, unknown>>(path, { limit: 200 })));
  results.forEach((r, i) => {
    if (r.status !== 'fulfilled') return;
    for (const x of r.value) {
      const name = lists[i][1](x);
      if (typeof x.id === 'string' && typeof name === 'string' && name) names.set(x.id, name);
    }
  });
  return names;
}

const TYPE_LABELS: Record<string, string> = {
  access_level: 'Access level',
  access_event: 'Access history',
  enrolment: 'Enrolment',
  staff: 'Staff account',
  cli: 'Command line',
  system: 'System',
};

/** "access_level" → "Access level". */
export function typeLabel(type: string): string {
  if (TYPE_LABELS[type]) return TYPE_LABELS[type];
  const s = type.replace(/[_.-]+/g, ' ').trim();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** "readerId" → "Reader", "matchedRecord" → "Matched record": detail keys as the desk says them. */
export function detailLabel(key: string): string {
  const spaced = key
    .replace(/Id$/, '')
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

/** A detail value in words: ids by their name where known, booleans as yes / no. */
export function detailValue(value: unknown, names: AuditNames): string {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string') return names.get(value) ?? value;
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value);
}
