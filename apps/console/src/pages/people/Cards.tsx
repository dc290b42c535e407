import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { Schemas } from '../../api';
import { keys, useInvalidate } from '../../queries';
import { useSession, type StaffRole } from '../../session';
import { Empty, ErrorNotice, Field, Loading, Status, formatTime, type Tone } from '../../ui';

/** GET /people/:personId/cards: masked, `hint` is at most the last two digits of the number. */
export type Card = Schemas['CardView'];
type DeskReader = Schemas['CardReaderView'];

/** The desk routes (issue, PIN, suspend, revoke) are admin and security only; every staff role reads. */
export const canManageCards = (r: StaffRole) => r === 'admin' || r === 'security';

const STATE_TONE: Record<Card['state'], Tone> = { active: 'ok', suspended: 'warn', revoked: 'idle' };

/** How long the server holds a desk request open waiting at the reader (the API allows 5 to 120 s). */
export const DESK_WAIT_S = 60;

type Waiting = { kind: 'issue' } | { kind: 'pin'; card: Card };

export function cardLabel(c: Pick<Card, 'hint'>): string {
  return `…${c.hint}`;
}

/**
 * A person's cards, and the security desk's card work. Card numbers and PINs never pass through
 * the browser: the staff member starts a request here, the person presents the card or types
 * the PIN at the chosen desk card reader, and the server, holding the request open, answers with
 * the masked card. `issueRequest` changes (a counter) when another part of the page, the consent
 * withdrawal, asks to issue a card: the panel scrolls into view and focuses its issue form.
 */
export function CardsPanel({ personId, issueRequest = 0 }: { personId: string; issueRequest?: number }) {
  const { api, principal } = useSession();
  const canWrite = canManageCards(principal.role);
  const invalidate = useInvalidate();
  const cards = useQuery({ queryKey: keys.cards(personId), queryFn: ({ signal }) => api.get<Card[]>(`/people/${personId}/cards`, undefined, signal) });
  const { desks, desk, deskName, setDeskId } = useDeskCardReader(canWrite);
  const [validUntil, setValidUntil] = useState('');
  const [waiting, setWaiting] = useState<Waiting | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const [confirmRevoke, setConfirmRevoke] = useState<string | null>(null);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const sectionRef = useRef<HTMLElement>(null);
  const issueRef = useRef<HTMLButtonElement>(null);
  const deskRef = useRef<HTMLSelectElement>(null);
  useEffect(() => {
    if (issueRequest === 0) return;
    sectionRef.current?.scrollIntoView({ block: 'start' });
    (deskRef.current ?? issueRef.current)?.focus();
  }, [issueRequest]);

  const changed = () => invalidate(keys.cards(personId));
  /** A desk request: waits at the reader until the person acts, the server gives up, or the staff member cancels. */
  const atDesk = useMutation({
    mutationFn: async (w: Waiting) => {
      abort.current = new AbortController();
      const body: Record<string, unknown> = { deskReaderId: desk, timeoutSeconds: DESK_WAIT_S };
      if (w.kind === 'issue' && validUntil) body.validUntil = new Date(validUntil).toISOString();
      const path = w.kind === 'issue' ? `/people/${personId}/cards` : `/cards/${w.card.id}/pin`;
      return api.request<Card>('POST', path, { body, signal: abort.current.signal });
    },
    onMutate: (w) => {
      setDone(null);
      setWaiting(w);
    },
    onSuccess: async (card, w) => {
      setDone(w.kind === 'issue' ? `Card ${cardLabel(card)} issued.` : `PIN set for card ${cardLabel(card)}.`);
      if (w.kind === 'issue') setValidUntil('');
      await changed();
    },
    onSettled: () => {
      setWaiting(null);
      abort.current = null;
    },
  });
  const manage = useMutation({
    mutationFn: ({ card, action }: { card: Card; action: 'suspend' | 'reinstate' | 'revoke' | 'unlock-pin' }) => api.post<Card>(`/cards/${card.id}/${action}`),
    onMutate: () => setDone(null),
    onSuccess: async (card, { action }) => {
      setConfirmRevoke(null);
      const what = { suspend: 'suspended', reinstate: 'reinstated', revoke: 'revoked', 'unlock-pin': 'PIN unlocked' }[action];
      setDone(`Card ${cardLabel(card)} ${what}.`);
      await changed();
    },
  });
  // Cancelling is the staff member's own act, not a problem to show.
  const deskError = atDesk.error instanceof Error && atDesk.error.name === 'AbortError' ? null : atDesk.error;
  const busy = waiting !== null || manage.isPending;

  const issue = (e: FormEvent) => {
    e.preventDefault();
    manage.reset();
    atDesk.mutate({ kind: 'issue' });
  };

  const list = cards.data ?? [];
  return (
    <section className="panel cards-panel" aria-labelledby="cards-title" ref={sectionRef}>
      <h2 id="cards-title">Cards</h2>
      <ErrorNotice error={cards.error} />
      {cards.isPending ? <Loading what="Loading cards" /> : null}
      {cards.data && list.length === 0 ? <Empty>No card: this person badges in with a finger only.</Empty> : null}
      {list.length > 0 ? (
        <div className="table-wrap">
          <table className="cards-table">
            <caption className="people-sr-only">Cards</caption>
            <thead>
              <tr>
                <th scope="col">Card</th>
                <th scope="col">State</th>
                <th scope="col">Valid</th>
                <th scope="col">PIN</th>
                {canWrite ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {list.map((c) => (
                <tr key={c.id}>
                  <th scope="row">
                    <code>{cardLabel(c)}</code>{' '}
                    <span className="muted">
                      {c.format === 'wiegand' ? 'Wiegand' : 'Raw'} {c.bitCount}-bit
                    </span>
                  </th>
                  <td>
                    <Status tone={STATE_TONE[c.state] ?? 'idle'}>{c.state}</Status>
                  </td>
                  <td>
                    {c.validFrom ? formatTime(c.validFrom) : 'now'} – {c.validUntil ? formatTime(c.validUntil) : 'no end'}
                  </td>
                  <td>
                    {c.pinLocked ? <Status tone="bad">Locked</Status> : c.pinSet ? <Status tone="ok">Set</Status> : <span className="muted">Not set</span>}
                  </td>
                  {canWrite ? (
                    <td className="cards-actions">
                      <CardActions
                        card={c}
                        busy={busy}
                        canPin={!!desk}
                        confirming={confirmRevoke === c.id}
                        onConfirm={(on) => setConfirmRevoke(on ? c.id : null)}
                        onAction={(action) => {
                          atDesk.reset();
                          manage.mutate({ card: c, action });
                        }}
                        onPin={() => {
                          manage.reset();
                          atDesk.mutate({ kind: 'pin', card: c });
                        }}
                      />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {done ? (
        <div className="notice notice-ok" role="status">
          {done}
        </div>
      ) : null}
      <ErrorNotice error={manage.error ?? deskError} />
      {waiting ? (
        <div className="notice cards-waiting" role="status" aria-live="polite">
          <strong>Waiting at {deskName}…</strong>{' '}
          {waiting.kind === 'issue'
            ? 'Ask the person to present the new card at the desk card reader.'
            : `Ask the person to type the PIN for card ${cardLabel(waiting.card)} on the reader's keypad and press #. (* cancels.)`}{' '}
          <button type="button" onClick={() => abort.current?.abort()}>
            Cancel
          </button>
        </div>
      ) : null}
      {canWrite ? (
        <form className="cards-issue" onSubmit={issue} aria-labelledby="cards-issue-title">
          <h3 id="cards-issue-title">Issue a card</h3>
          <ErrorNotice error={desks.error} />
          {desks.data && desks.data.length === 0 ? (
            <p className="muted">No desk card reader is configured (a card reader with the enrolment role): cards cannot be issued yet.</p>
          ) : null}
          <div className="filters">
            <DeskSelect desks={desks.data ?? []} value={desk} onChange={setDeskId} selectRef={deskRef} disabled={busy} />
            <Field label="Card valid until (optional)">
              {(id) => <input id={id} type="datetime-local" value={validUntil} onChange={(e) => setValidUntil(e.target.value)} disabled={busy} />}
            </Field>
            <button type="submit" className="primary" ref={issueRef} disabled={busy || !desk}>
              Issue a card
            </button>
          </div>
          <p className="muted">The person presents the card at the desk card reader; then a PIN can be set, typed on its keypad.</p>
        </form>
      ) : null}
    </section>
  );
}

/** The desk card readers (role enrolment) and the one chosen; one desk reader (the usual case) needs no choosing. */
export function useDeskCardReader(enabled: boolean) {
  const { api } = useSession();
  const desks = useQuery({
    queryKey: keys.deskCardReaders(),
    queryFn: () => api.all<DeskReader>('/card-readers', { role: 'enrolment', limit: 200 }),
    enabled,
  });
  const [deskId, setDeskId] = useState('');
  const desk = deskId || (desks.data?.length === 1 ? desks.data[0]!.id : '');
  const deskName = desks.data?.find((d) => d.id === desk)?.name ?? 'the desk card reader';
  return { desks, desk, deskName, setDeskId };
}

export function DeskSelect(props: {
  desks: DeskReader[];
  value: string;
  onChange: (id: string) => void;
  selectRef: React.RefObject<HTMLSelectElement | null>;
  disabled: boolean;
}) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id}>Desk card reader</label>
      <select id={id} ref={props.selectRef} value={props.value} onChange={(e) => props.onChange(e.target.value)} disabled={props.disabled} required>
        <option value="">Choose…</option>
        {props.desks.map((d) => (
          <option key={d.id} value={d.id}>
            {d.name}
          </option>
        ))}
      </select>
    </div>
  );
}

function CardActions(props: {
  card: Card;
  busy: boolean;
  canPin: boolean;
  confirming: boolean;
  onConfirm: (on: boolean) => void;
  onAction: (a: 'suspend' | 'reinstate' | 'revoke' | 'unlock-pin') => void;
  onPin: () => void;
}) {
  const { card: c, busy } = props;
  const label = cardLabel(c);
  if (c.state === 'revoked') return <span className="muted">Revoked for good</span>;
  if (props.confirming) {
    return (
      <span className="confirm">
        <button type="button" className="danger" disabled={busy} onClick={() => props.onAction('revoke')}>
          Confirm revoke
        </button>
        <button type="button" onClick={() => props.onConfirm(false)}>
          Keep
        </button>
      </span>
    );
  }
  return (
    <span className="cards-buttons">
      {c.state === 'active' ? (
        <button type="button" disabled={busy} aria-label={`Suspend card ${label}`} onClick={() => props.onAction('suspend')}>
          Suspend
        </button>
      ) : (
        <button type="button" disabled={busy} aria-label={`Reinstate card ${label}`} onClick={() => props.onAction('reinstate')}>
          Reinstate
        </button>
      )}
      <button type="button" disabled={busy} aria-label={`Revoke card ${label}`} onClick={() => props.onConfirm(true)}>
        Revoke
      </button>
      {c.pinLocked ? (
        <button type="button" disabled={busy} aria-label={`Unlock PIN of card ${label}`} onClick={() => props.onAction('unlock-pin')}>
          Unlock PIN
        </button>
      ) : null}
      <button
        type="button"
        disabled={busy || !props.canPin}
        title={props.canPin ? undefined : 'Choose a desk card reader first'}
        aria-label={`${c.pinSet ? 'Change' : 'Set'} PIN of card ${label}`}
        onClick={props.onPin}
      >
        {c.pinSet ? 'Change PIN' : 'Set PIN'}
      </button>
    </span>
  );
}
