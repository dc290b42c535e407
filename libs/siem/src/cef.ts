/**
 * ArcSight Common Event Format, version 0 ("Implementing ArcSight CEF", Micro Focus, revision 25):
 *
 *   CEF:Version|Device Vendor|Device Product|Device Version|Device Event Class ID|Name|Severity|[Extension]
 *
 * Header fields escape `\` and `|` with a backslash; extension values escape `\` and `=`, and
 * carry line breaks as `\n` / `\r`. Keys are the spec's dictionary names (rt, cat, act, outcome,
 * suid, externalId, cs1..cs6 with their cs<n>Label, cn1 with cn1Label, dvchost). Severity is 0-10.
 */

export interface CefEvent {
  vendor: string;
  product: string;
  version: string;
  /** Device Event Class ID: what kind of event (stable per kind). */
  signatureId: string;
  name: string;
  /** 0 (lowest) to 10. */
  severity: number;
  extension: ReadonlyArray<readonly [string, string | number]>;
}

export function escapeCefHeader(value: string): string {
  return value.replace(/[\\|]/g, (c) => `\\${c}`).replace(/\r?\n|\r/g, ' ');
}

export function escapeCefValue(value: string): string {
  return value
    .replace(/[\\=]/g, (c) => `\\${c}`)
    .replace(/\r\n|\n/g, '\\n')
    .replace(/\r/g, '\\r');
}

const CEF_KEY = /^[A-Za-z][A-Za-z0-9]{0,62}$/;

export function formatCef(e: CefEvent): string {
  if (!Number.isInteger(e.severity) || e.severity < 0 || e.severity > 10) throw new Error(`CEF severity ${e.severity} is not 0-10`);
  const header = ['CEF:0', ...[e.vendor, e.product, e.version, e.signatureId, e.name].map(escapeCefHeader), String(e.severity)].join('|');
  const ext = e.extension.map(([k, v]) => {
    if (!CEF_KEY.test(k)) throw new Error(`not a CEF extension key: ${JSON.stringify(k)}`);
    return `${k}=${escapeCefValue(String(v))}`;
  });
  return `${header}|${ext.join(' ')}`;
}

/** Syslog severity (0 emergency .. 7 debug) to CEF's 0..10, most severe highest. */
export function cefSeverity(syslogSeverity: number): number {
  return [10, 10, 9, 7, 5, 3, 1, 0][syslogSeverity] ?? 5;
}
