import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import type { Schemas } from '../api';
import { keys, useInvalidate } from '../queries';
import { useSession } from '../session';
import { Empty, ErrorNotice, Loading, PageHeader, ShortId, Status } from '../ui';
import { customerLabel, useCustomers } from './history/records';
import { cardLabel, DESK_WAIT_S, DeskSelect, useDeskCardReader, type Card } from './people/Cards';
import { STATUS_LABEL, STATUS_TONE, windowText, type Visitor } from './visitors/model';

/**
 * The security desk's visitors of today (each site's local date) and those still inside: tick
 * that the ID document was checked (only that is recorded, never the document), check in (access
 * until the window ends, escorted by the host unless the customer's policy says otherwise), check
 * out (access ends at once), and issue the visitor a card at the desk card reader (the person
 * page's desk flow, POST /people/{visit id}/cards, valid until the window ends).
 */
export function VisitorsTodayPage() {
  const { api } = useSession();
  const customers = useCustomers(api);
  const today = useQuery({ queryKey: keys.visitorsToday(), queryFn: () => api.get<Visitor[]>('/visitors/today'), refetchInterval: 30_000 });
  const customerName = useMemo(() => new Map((customers.data ?? []).map((c) => [c.id, customerLabel(c)])), [customers.data]);
  const { desks, desk, deskName, setDeskId } = useDeskCardReader(true);
  const deskRef = useRef<HTMLSelectElement>(null);

  return (
    <>
      <PageHeader title="Visitors today" />
      <ErrorNotice error={customers.error} />
      <section className="panel" aria-labelledby="today-title">
        <h2 id="today-title">Expected and inside</h2>
        <button type="button" onClick={() => void today.refetch()} disabled={today.isFetching}>
          Refresh
        </button>
        <ErrorNotice error={today.error ?? desks.error} />
        {desks.data && desks.data.length > 1 ? (
          <div className="filters">
            <DeskSelect desks={desks.data} value={desk} onChange={setDeskId} selectRef={deskRef} disabled={false} />
          </div>
        ) : null}
        {today.isPending && !today.error ? <Loading what="Loading visitors" /> : null}
        {today.data && today.data.length === 0 ? <Empty>No visitors today.</Empty> : null}
        {today.data && today.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <caption className="security-sr-only">Visitors expected today and visitors inside, by arrival window</caption>
              <thead>
                <tr>
                  <th scope="col">Visitor</th>
                  <th scope="col">Company</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Host</th>
                  <th scope="col">Window</th>
                  <th scope="col">Status</th>
                  <th scope="col">Desk</th>
                </tr>
              </thead>
              <tbody>
                {today.data.map((v) => (
                  <VisitorRow key={v.id} v={v} customer={customerName.get(v.customerId)} desk={desk} deskName={deskName} />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

function VisitorRow({ v, customer, desk, deskName }: { v: Visitor; customer: string | undefined; desk: string; deskName: string }) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const [idChecked, setIdChecked] = useState(false);
  const host = useQuery({
    queryKey: keys.person(v.customerId, v.hostPersonId),
    queryFn: () => api.get<Schemas['PersonView']>(`/customers/${v.customerId}/people/${v.hostPersonId}`),
  });
  const act = useMutation({
    mutationFn: (what: 'check-in' | 'check-out') => api.post<Visitor>(`/visitors/${v.id}/${what}`, what === 'check-in' ? { idChecked } : {}),
    onSuccess: () => invalidate(keys.visitorsToday(), keys.visitorsTodayCount(), keys.visitors(v.customerId)),
  });
  const name = v.fullName ?? '(erased)';
  const card = useDeskCard(v, desk);
  return (
    <tr data-visitor={v.id}>
      <th scope="row">{name}</th>
      <td>{v.company ?? '—'}</td>
      <td>{customer ?? <ShortId id={v.customerId} />}</td>
      <td>{host.data?.fullName ?? <ShortId id={v.hostPersonId} />}</td>
      <td>{windowText(v)}</td>
      <td>
        <Status tone={STATUS_TONE[v.status]}>{STATUS_LABEL[v.status]}</Status>
        {v.status === 'checked_in' ? (v.escortRequired ? ' · escorted by host' : ' · may walk alone') : ''}
      </td>
      <td>
        <ErrorNotice error={act.error} />
        {v.status === 'expected' ? (
          <>
            <label className="checkbox">
              <input type="checkbox" checked={idChecked} onChange={(e) => setIdChecked(e.target.checked)} /> ID document checked for {name}
            </label>{' '}
            <button type="button" className="primary" disabled={!idChecked || act.isPending} onClick={() => act.mutate('check-in')}>
              Check in {name}
            </button>
          </>
        ) : null}
        {v.status === 'checked_in' ? (
          <>
            <button
              type="button"
              disabled={!desk || card.waiting || act.isPending}
              title={desk ? undefined : 'No desk card reader is configured'}
              onClick={() => card.issue()}
            >
              Issue card to {name}
            </button>{' '}
            <button type="button" disabled={act.isPending || card.waiting} onClick={() => act.mutate('check-out')}>
              Check out {name}
            </button>
          </>
        ) : null}
        <ErrorNotice error={card.error} />
        {card.waiting ? (
          <div className="notice cards-waiting" role="status" aria-live="polite">
            <strong>Waiting at {deskName}…</strong> Ask {name} to present the new card at the desk card reader.{' '}
            <button type="button" onClick={card.cancel}>
              Cancel
            </button>
          </div>
        ) : null}
        {card.issued ? (
          <div className="notice notice-ok" role="status">
            Card {cardLabel(card.issued)} issued to {name}, valid until the visit ends.
          </div>
        ) : null}
      </td>
    </tr>
  );
}

/**
 * The desk's card issue for a visitor: the person page's flow (the server waits at the desk card
 * reader for the card; its number never reaches the browser) on the visitor's person, whose id is
 * the visit's, with the card valid until the window ends like the rest of the visitor's access.
 */
function useDeskCard(v: Visitor, desk: string) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  const issue = useMutation({
    mutationFn: () => {
      abort.current = new AbortController();
      const body = { deskReaderId: desk, timeoutSeconds: DESK_WAIT_S, validUntil: v.windowEnd };
      return api.request<Card>('POST', `/people/${v.id}/cards`, { body, signal: abort.current.signal });
    },
    onSuccess: () => invalidate(keys.cards(v.id)),
    onSettled: () => {
      abort.current = null;
    },
  });
  // Cancelling is the staff member's own act, not a problem to show.
  const error = issue.error instanceof Error && issue.error.name === 'AbortError' ? null : issue.error;
  return {
    issue: () => issue.mutate(),
    cancel: () => abort.current?.abort(),
    waiting: issue.isPending,
    issued: issue.data ?? null,
    error,
  };
}
