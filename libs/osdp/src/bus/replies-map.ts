import type { Reply } from '../replies.js';
import type { QueuedCommand } from './types.js';

export const QUEUEABLE: ReadonlySet<string> = new Set(['LED', 'BUZ', 'TEXT', 'COMSET', 'KEYSET', 'ID', 'CAP', 'LSTAT']);
/** What a queued command is answered with when it succeeds (OSDP v2.2 §6/§7). */
export const EXPECTED_REPLY: Record<QueuedCommand['kind'], Reply['kind']> = {
  LED: 'ACK',
  BUZ: 'ACK',
  TEXT: 'ACK',
  KEYSET: 'ACK',
  COMSET: 'COM',
  ID: 'PDID',
  CAP: 'PDCAP',
  LSTAT: 'LSTATR',
};
/** osdp_KEYPAD: 0x7F is '*', 0x0D is '#' (libosdp's PD maps them so; docs/osdp.md §The bus). */
export function keypadText(keys: Buffer): string {
  return [...keys].map((k) => (k === 0x7f ? '*' : k === 0x0d ? '#' : k >= 0x30 && k <= 0x39 ? String.fromCharCode(k) : '?')).join('');
}
