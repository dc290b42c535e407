import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import type { Schemas } from '../api';
import { keys, useInvalidate } from '../queries';
import { useSession } from '../session';
import { Empty, ErrorNotice, Loading, PageHeader, ShortId, Status } from '../ui';
import { customerLabel, useCustomers } from './history/records';
import { STATUS_LABEL, STATUS_TONE, windowText, type Visitor } from './visitors/model';

/**
 * The security desk's visitors of today (each site's local date) and those still inside: tick
 * that the ID document was checked (only that is recorded, never the document), check in (access
 * until the window ends, escorted by the host unless the customer's policy says otherwise), check
 * out (access ends at once). A card for the visitor is issued from their person page.
 */
export function VisitorsTodayPage() {
  const { api } = useSession();
  const customers = useCustomers(api);
  const today = useQuery({ queryKey: keys.visitorsToday(), queryFn: () => api.get<Visitor[]>('/visitors/today'), refetchInterval: 30_000 });
  const customerName = useMemo(() => new Map((customers.data ?? []).map((c) => [c.id, customerLabel(c)])), [customers.data]);

  return (
    <>
      <PageHeader title="Visitors today" />
      <ErrorNotice error={customers.error} />
      <section className="panel" aria-labelledby="today-title">
        <h2 id="today-title">Expected and inside</h2>
        <button type="button" onClick={() => void today.refetch()} disabled={today.isFetching}>
          Refresh
        </button>
        <ErrorNotice error={today.error} />
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
                  <VisitorRow key={v.id} v={v} customer={customerName.get(v.customerId)} />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

function VisitorRow({ v, customer }: { v: Visitor; customer: string | undefined }) {
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
          <button type="button" disabled={act.isPending} onClick={() => act.mutate('check-out')}>
            Check out {name}
          </button>
        ) : null}
      </td>
    </tr>
  );
}
