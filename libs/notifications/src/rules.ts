import { NOTIFICATION_KINDS, type NotificationKind } from './entities.js';

// The notifications' rules as pure functions (table tests in rules.spec.ts): when a streak of
// denials is worth a mail, which grants end soon, how a failed send is retried, and what a mail
// says. Nothing here reads the clock or the database.

export const DAY_MS = 86_400_000;
/** Retries double from the base delay up to this. */
export const MAX_RETRY_DELAY_MS = 3_600_000;

export interface Attempt {
  id: string;
  result: 'granted' | 'denied';
}

/**
 * Whether `eventId` is the denial that makes a streak of exactly `n` denials in a row of one
 * person at one zone. `newestFirst` are the person's last attempts at the zone up to and
 * including that event, at least `n + 1` of them asked for. Exactly `n`: the streak is told
 * once, when it reaches the threshold, not again at `n + 1`; a granted attempt ends it.
 */
export function streakReached(newestFirst: readonly Attempt[], eventId: string, n: number): boolean {
  if (newestFirst.length < n || newestFirst[0]?.id !== eventId) return false;
  if (!newestFirst.slice(0, n).every((a) => a.result === 'denied')) return false;
  const before = newestFirst[n];
  return before === undefined || before.result !== 'denied';
}

/** A grant ending within `days` after `now` (and not already ended) is worth a reminder. */
export function endsWithin(validUntil: number | null, now: number, days: number): boolean {
  return validUntil !== null && validUntil > now && validUntil <= now + days * DAY_MS;
}

/** The delay before attempt `attempts + 1`, after `attempts` failures: base, 2×base, 4×base …, at most an hour. */
export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_MS);
}

export interface SendFailure {
  /** SMTP reply code when the server answered (RFC 5321 §4.2). */
  responseCode?: number;
  /** Node or nodemailer error code (ECONNECTION, ETIMEDOUT, EAUTH …). */
  code?: string;
}

/**
 * A 5yz reply is a permanent negative completion (RFC 5321 §4.2.1: the same transaction will
 * fail again), e.g. a mailbox that does not exist; retrying it only delays the dead letter. An
 * authentication failure is the exception: it is the server's configuration, fixed by staff, and
 * every mail would die of it meanwhile.
 */
export function isPermanent(f: SendFailure): boolean {
  return f.code !== 'EAUTH' && f.responseCode !== undefined && f.responseCode >= 500 && f.responseCode < 600;
}

/** What a failure leaves in `last_error`: a code, never the server's text (it can echo an address). */
export function failureCode(f: SendFailure): string {
  if (f.responseCode !== undefined) return `smtp_${f.responseCode}`;
  return (f.code ?? 'error').replace(/[^A-Za-z0-9_]/g, '_').slice(0, 64);
}

/** The row's state after a failed attempt (`attempts` counts it). */
export function afterFailure(
  f: SendFailure,
  attempts: number,
  maxAttempts: number,
  now: number,
  baseMs: number,
): { status: 'pending' | 'dead'; nextAttemptAt: number } {
  if (isPermanent(f) || attempts >= maxAttempts) return { status: 'dead', nextAttemptAt: now };
  return { status: 'pending', nextAttemptAt: now + retryDelayMs(attempts, baseMs) };
}

export function parseKinds(text: string): NotificationKind[] {
  const wanted = new Set(text.split(',').map((k) => k.trim()));
  return NOTIFICATION_KINDS.filter((k) => wanted.has(k));
}

export function formatKinds(kinds: readonly string[]): string {
  const wanted = new Set(kinds);
  return NOTIFICATION_KINDS.filter((k) => wanted.has(k)).join(',');
}

/** The facts each kind of mail states: ids, codes and times only. */
export interface Payloads {
  request_decided: { requestId: string; decision: 'approved' | 'refused'; requestKind: string; personId: string | null; accessLevelId: string | null };
  visitor_arrived: { visitorId: string; placeId: string; at: number };
  person_denied: { personId: string; zoneId: string; count: number; lastAt: number };
  access_ending: { grantId: string; personId: string | null; accessLevelId: string; endsAt: number };
}

export interface Mail {
  subject: string;
  text: string;
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

/** Where each kind is looked at in the console (paths under /console). */
const CONSOLE_PATH: Record<NotificationKind, string> = {
  request_decided: 'portal-requests',
  visitor_arrived: 'portal-visitors',
  person_denied: 'portal-history',
  access_ending: 'customer',
};

/**
 * The mail for one outbox row. Minimum personal data (GDPR Art. 5(1)(c)): people are named by
 * their reference (the id the console shows), never by name or e-mail; places and levels by id;
 * a staff member's free-text reason is left out (it may name someone) and read in the console.
 * The link leads to the page where the administrator, signed in, sees who it is.
 */
export function mailFor<K extends NotificationKind>(kind: K, p: Payloads[K], consoleUrl: string | undefined): Mail {
  const link = `${(consoleUrl ?? '').replace(/\/$/, '')}/console/${CONSOLE_PATH[kind]}`;
  const lines = ((): { subject: string; body: string[] } => {
    switch (kind) {
      case 'request_decided': {
        const q = p as Payloads['request_decided'];
        return {
          subject: `Access request ${q.decision}`,
          body: [
            `Your access request ${q.requestId} (${q.requestKind}) was ${q.decision} by the datacenter.`,
            ...(q.personId ? [`Person reference: ${q.personId}`] : []),
            ...(q.accessLevelId ? [`Access level: ${q.accessLevelId}`] : []),
            q.decision === 'refused' ? 'The reason is shown with the request in the console.' : '',
          ],
        };
      }
      case 'visitor_arrived': {
        const q = p as Payloads['visitor_arrived'];
        return { subject: 'Visitor arrived', body: [`Visitor ${q.visitorId} arrived at ${q.placeId} at ${iso(q.at)}.`] };
      }
      case 'person_denied': {
        const q = p as Payloads['person_denied'];
        return {
          subject: `Access denied ${q.count} times in a row`,
          body: [`Person reference ${q.personId} was denied ${q.count} times in a row at zone ${q.zoneId}, the last at ${iso(q.lastAt)}.`],
        };
      }
      default: {
        const q = p as Payloads['access_ending'];
        const who = q.personId ? `of person reference ${q.personId}` : 'of all your people';
        return {
          subject: `Access ending on ${iso(q.endsAt).slice(0, 10)}`,
          body: [
            `The access ${who} to access level ${q.accessLevelId} (grant ${q.grantId}) ends at ${iso(q.endsAt)}.`,
            'File a request in the console to extend it.',
          ],
        };
      }
    }
  })();
  const text = [
    ...lines.body.filter((l) => l !== ''),
    '',
    `Details: ${link}`,
    '',
    'People are named by reference only; the console shows who they are once you are signed in.',
    'Choose which notifications you receive on the Security page of the console.',
    '',
  ].join('\n');
  return { subject: `[ACS] ${lines.subject}`, text };
}
