/**
 * RFC 5424 syslog messages and RFC 5425 / RFC 6587 octet-counting frames.
 *
 * Written here rather than taken from npm: the maintained-looking packages checked (December
 * 2026) do not fit. `syslog-pro` 1.0.0 takes structured data as pre-formatted strings without
 * escaping and opens a TLS connection per message without octet counting; `syslog-client` 1.1.1
 * has no structured data and frames TCP with a line feed; `glossy` 0.1.7 formats but has no
 * transport and has not changed in years. Every one of them also owns its socket, while the
 * outbox needs to know which messages were written before it deletes them (syslog-sender.ts).
 *
 * The grammar (RFC 5424 §6):
 *   SYSLOG-MSG = HEADER SP STRUCTURED-DATA [SP MSG]
 *   HEADER     = PRI VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID
 */

/** RFC 5424 §6.2.1, table 2: the severities. */
export const SEVERITY = { emergency: 0, alert: 1, critical: 2, error: 3, warning: 4, notice: 5, informational: 6, debug: 7 } as const;
export type Severity = (typeof SEVERITY)[keyof typeof SEVERITY];

/** RFC 5424 §6.2: NILVALUE, for a header field with nothing to say. */
export const NILVALUE = '-';

/** RFC 5424 §9.1: receivers must not be required to take more than one version; this is 1. */
const VERSION = 1;

/** The UTF-8 byte order mark that must open a MSG encoded as UTF-8 (RFC 5424 §6.4, MSG-UTF8). */
export const BOM = '\uFEFF';

export interface SdElement {
  /** SD-ID: `name@<private enterprise number>` for ours (§6.3.2, §7.2.2), e.g. `acs@32473`. */
  id: string;
  /** SD-PARAMs in order; values are any Unicode text (escaped here, §6.3.3). */
  params: ReadonlyArray<readonly [string, string]>;
}

export interface SyslogMessage {
  facility: number;
  severity: Severity;
  /** Milliseconds since the epoch; written as RFC 3339 in UTC with milliseconds (§6.2.3). */
  timestamp: number;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  structuredData: readonly SdElement[];
  /** Free text; empty for none. */
  msg: string;
}

/**
 * A header field: PRINTUSASCII only (%d33-126, §6), at most `max` characters (HOSTNAME 255,
 * APP-NAME 48, PROCID 128, MSGID 32); anything else becomes `_`; empty is NILVALUE.
 */
export function headerField(value: string, max: number): string {
  const v = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return v === '' ? NILVALUE : v;
}

/** SD-NAME (§6.3.3): 1-32 PRINTUSASCII except `=`, SP, `]` and `"`. */
export function isSdName(name: string): boolean {
  return /^[\x21-\x7e]{1,32}$/.test(name) && !/[= \]"]/.test(name);
}

/** PARAM-VALUE escaping (§6.3.3): `"`, `\` and `]` MUST be escaped with a backslash. */
export function escapeParamValue(value: string): string {
  return value.replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** STRUCTURED-DATA (§6.3): the elements, or NILVALUE when there are none. */
export function structuredData(elements: readonly SdElement[]): string {
  if (elements.length === 0) return NILVALUE;
  return elements
    .map((e) => {
      if (!isSdName(e.id)) throw new Error(`not an SD-ID: ${JSON.stringify(e.id)}`);
      const params = e.params.map(([name, value]) => {
        if (!isSdName(name)) throw new Error(`not an SD-NAME: ${JSON.stringify(name)}`);
        return ` ${name}="${escapeParamValue(value)}"`;
      });
      return `[${e.id}${params.join('')}]`;
    })
    .join('');
}

/**
 * MSG (§6.4): text that is all ASCII goes as MSG-ANY, without a BOM; anything else is UTF-8 and
 * must start with the BOM. rsyslog and syslog-ng both take either.
 */
export function msgPart(msg: string): string {
  if (msg === '') return '';
  // eslint-disable-next-line no-control-regex
  return /^[\x00-\x7f]*$/.test(msg) ? msg : `${BOM}${msg}`;
}

/** The whole SYSLOG-MSG (§6). */
export function formatSyslog(m: SyslogMessage): string {
  if (!Number.isInteger(m.facility) || m.facility < 0 || m.facility > 23) throw new Error(`facility ${m.facility} is not 0-23`);
  const pri = m.facility * 8 + m.severity; // §6.2.1
  const header = [
    `<${pri}>${VERSION}`,
    new Date(m.timestamp).toISOString(), // §6.2.3: FULL-DATE "T" FULL-TIME with "Z"; up to 6 fraction digits allowed, 3 used
    headerField(m.hostname, 255),
    headerField(m.appName, 48),
    headerField(m.procId, 128),
    headerField(m.msgId, 32),
  ].join(' ');
  const body = msgPart(m.msg);
  return `${header} ${structuredData(m.structuredData)}${body === '' ? '' : ` ${body}`}`;
}

/**
 * One frame for a TCP or TLS stream: `MSG-LEN SP SYSLOG-MSG`, the length in octets of the UTF-8
 * message (RFC 5425 §4.3, RFC 6587 §3.4.1 octet counting). Never newline framing: a message may
 * contain a line feed.
 */
export function octetFrame(message: string): Buffer {
  const body = Buffer.from(message, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length} `, 'ascii'), body]);
}
