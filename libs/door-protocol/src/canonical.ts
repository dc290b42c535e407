/**
 * Canonical JSON for signing (hardware/door-protocol/README.md §Envelope and signing).
 *
 * Object keys sorted by UTF-16 code unit (JavaScript's default sort), no insignificant whitespace,
 * strings escaped as JSON.stringify does, numbers restricted to safe integers so every language
 * prints them the same way (no exponent/float formatting differences). Arrays keep their order.
 * `undefined` members are omitted, matching what JSON.stringify sends on the wire.
 */
export type CanonicalValue = string | number | boolean | null | CanonicalValue[] | { [key: string]: CanonicalValue | undefined };

export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical form allows only safe integers, got ${value}`);
      return String(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonical form cannot encode a ${typeof value}`);
  }
}
