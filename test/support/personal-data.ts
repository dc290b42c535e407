/**
 * Personal data planted by tests, so a scan of logs, responses, audit rows or the database file
 * can prove none of it leaked. Distinctive on purpose: no accidental matches.
 */
export const PERSON = {
  fullName: 'Marlies Zwanenburg-Oudshoorn',
  email: 'marlies.zwanenburg@voorbeeld-klant.nl',
  phone: '+31 6 48213377',
} as const;

export function leaks(haystack: string, values: readonly string[] = Object.values(PERSON)): string[] {
  const lower = haystack.toLowerCase();
  return values.filter((v) => lower.includes(v.toLowerCase()) || lower.includes(encodeURIComponent(v).toLowerCase()));
}
