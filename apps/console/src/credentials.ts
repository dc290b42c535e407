import type { Schemas } from './api';
import type { Tone } from './ui';

/** The credential policies of zones and doors (libs/access-rules), as the API names them. */
export type CredentialPolicy = Schemas['ZoneView']['credentialPolicy'];

/** In the order the desk reads them: one factor, then two, then either. */
export const CREDENTIAL_POLICIES: ReadonlyArray<{ value: CredentialPolicy; label: string; explain: string }> = [
  { value: 'fingerprint', label: 'Fingerprint', explain: 'A finger at the fingerprint reader opens the door; cards are not accepted.' },
  { value: 'card', label: 'Card', explain: 'A card at the card reader opens the door; no PIN and no finger asked.' },
  {
    value: 'card+pin',
    label: 'Card and PIN',
    explain: "A card, then the card's PIN typed on the card reader's keypad (ended with #). Wrong PINs lock the card after a few tries.",
  },
  {
    value: 'card+fingerprint',
    label: 'Card and fingerprint',
    explain: "A card and the same person's finger at the door, one shortly after the other. Needs both readers at the door.",
  },
  {
    value: 'fingerprint|card',
    label: 'Fingerprint or card',
    explain: 'Either one opens the door: for people without biometric consent beside people with enrolled fingers.',
  },
];

export function policyLabel(p: string | null | undefined): string {
  return CREDENTIAL_POLICIES.find((x) => x.value === p)?.label ?? p ?? '—';
}

export function policyExplain(p: string | null | undefined): string {
  return CREDENTIAL_POLICIES.find((x) => x.value === p)?.explain ?? '';
}

/** What an attempt was made with, as the monitor and the history name it (never a card number). */
const CREDENTIAL_LABELS: Record<string, string> = {
  fingerprint: 'Fingerprint',
  card: 'Card',
  'card+pin': 'Card and PIN',
  'card+fingerprint': 'Card and fingerprint',
  pin: 'PIN',
};

export function credentialLabel(c: string): string {
  return CREDENTIAL_LABELS[c] ?? c.replace(/[_+]/g, ' ');
}

/** GET /monitor/card-readers */
export type CardReaderState = Schemas['CardReaderStateDto'];

export function cardReaderBadge(state: CardReaderState['state'] | string): { text: string; tone: Tone } {
  switch (state) {
    case 'online':
      return { text: 'Online', tone: 'ok' };
    case 'offline':
      return { text: 'Offline', tone: 'bad' };
    case 'untrusted':
      // A reader that failed Secure Channel set-up: possibly swapped, never trusted (a tamper-class alarm).
      return { text: 'Untrusted', tone: 'bad' };
    case 'other_instance':
      return { text: 'On another server', tone: 'info' };
    case 'disabled':
      return { text: 'Not driven here', tone: 'idle' };
    default:
      return { text: String(state).replace(/_/g, ' '), tone: 'idle' };
  }
}

/** The Secure Channel as /monitor/card-readers names it: its own key, the public install key, or none. */
export function secureBadge(secure: string): { text: string; tone: Tone } {
  switch (secure) {
    case 'scbk':
      return { text: 'Secure (own key)', tone: 'ok' };
    case 'scbk-d':
      return { text: 'Install key', tone: 'warn' };
    case 'plain':
      return { text: 'Not encrypted', tone: 'warn' };
    default:
      return { text: secure || '—', tone: 'idle' };
  }
}
