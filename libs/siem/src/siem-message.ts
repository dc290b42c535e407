import { cefSeverity, formatCef } from './cef.js';
import { formatSyslog, type Severity } from './rfc5424.js';
import type { SiemCategory } from './siem-events.js';

export type SiemFormat = 'rfc5424' | 'cef';

/** One outbox row as the sender reads it. */
export interface QueuedSiemEvent {
  seq: number;
  eventId: string;
  category: SiemCategory;
  severity: Severity;
  at: number;
  /** INSTANCE_ID of the server that recorded it. */
  instance: string;
  summary: string;
  fields: Array<[string, string]>;
}

export interface MessageSettings {
  format: SiemFormat;
  facility: number;
  hostname: string;
  procId: string;
  /** The SD-ID of our element: `acs@<enterprise number>`. */
  sdId: string;
}

export const APP_NAME = 'acs';
const CEF_VENDOR = 'acs';
const CEF_PRODUCT = 'access-control';
const CEF_VERSION = '1';

/**
 * The syslog message of an outbox row: the RFC 5424 header, our SD element with every field
 * (plus the recording instance and the outbox sequence number), and as MSG either a short
 * summary of codes or, with SIEM_FORMAT=cef, the same event as a CEF record.
 */
export function siemMessage(e: QueuedSiemEvent, s: MessageSettings): string {
  const params: Array<[string, string]> = [...e.fields, ['instance', e.instance], ['outboxSeq', String(e.seq)]];
  return formatSyslog({
    facility: s.facility,
    severity: e.severity,
    timestamp: e.at,
    hostname: s.hostname,
    appName: APP_NAME,
    procId: s.procId,
    msgId: e.category,
    structuredData: [{ id: s.sdId, params }],
    msg: s.format === 'cef' ? cefRecord(e) : e.summary,
  });
}

/** CEF keys of fields with a dictionary name (the rest go to cs6 as `name:value;...`). */
const CEF_KEYS: Record<string, string> = { eid: 'externalId', action: 'act', outcome: 'outcome', result: 'outcome', actorId: 'suid', personId: 'suid' };
const CUSTOM_STRINGS = ['customerId', 'siteId', 'doorId', 'readerId', 'target'] as const;

/** The event as CEF (docs/siem.md "CEF mapping"). */
export function cefRecord(e: QueuedSiemEvent): string {
  const f = new Map(e.fields);
  const target = f.get('targetType') ? `${f.get('targetType')}/${f.get('targetId') ?? ''}` : undefined;
  const what = f.get('action') ?? f.get('reason') ?? f.get('kind') ?? e.category;
  const ext: Array<[string, string | number]> = [
    ['rt', e.at],
    ['cat', e.category],
    ['dvchost', e.instance],
  ];
  const used = new Set(['src', 'targetType', 'targetId', 'count']);
  for (const [name, key] of Object.entries(CEF_KEYS)) {
    const v = f.get(name);
    if (v !== undefined && !ext.some(([k]) => k === key)) {
      ext.push([key, v]);
      used.add(name);
    }
  }
  if (!f.has('action') && f.has('reason')) {
    ext.push(['act', f.get('reason')!]);
    used.add('reason');
  }
  CUSTOM_STRINGS.forEach((name, i) => {
    const v = name === 'target' ? target : f.get(name);
    if (v === undefined) return;
    ext.push([`cs${i + 1}Label`, name], [`cs${i + 1}`, v]);
    used.add(name);
  });
  if (f.has('count')) ext.push(['cn1Label', 'count'], ['cn1', f.get('count')!]);
  const rest = [...f].filter(([k]) => !used.has(k)).map(([k, v]) => `${k}:${v}`);
  if (rest.length > 0) ext.push(['cs6Label', 'fields'], ['cs6', rest.join(';')]);
  return formatCef({
    vendor: CEF_VENDOR,
    product: CEF_PRODUCT,
    version: CEF_VERSION,
    signatureId: `${f.get('src') ?? 'acs'}:${what}`,
    name: e.summary,
    severity: cefSeverity(e.severity),
    extension: ext,
  });
}
