import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import type { Schemas } from '../api';
import { keys, useInvalidate, usePaged } from '../queries';
import { useSession } from '../session';
import { Empty, ErrorNotice, Field, formatTime, Loading, PageHeader, ShortId, Status } from '../ui';
import { CustomerSelect, customerLabel, LoadMore, useCustomers } from './history/records';
import { KIND_LABEL, periodText, STATUS_TONE, type AccessRequest } from './requests/model';

type Level = Schemas['AccessLevelView'];
const STATUSES = ['pending', 'approved', 'refused', 'applied'] as const;
/** Who decides (DECIDE in the access-requests controller); others read the queue. */
const DECIDERS = ['admin', 'security'];

/**
 * The datacenter staff's queue of customer requests: approve (applied through the registry, the
 * person then invited to enrolment) or refuse with a reason the customer reads; and per customer
 * the access levels whose grant requests apply without approval.
 */
export function AccessRequestsPage() {
  const { api, principal } = useSession();
  const canDecide = DECIDERS.includes(principal.role);
  const [status, setStatus] = useState<string>('pending');
  const customers = useCustomers(api);
  const levels = useQuery({ queryKey: keys.accessLevels(), queryFn: () => api.all<Level>('/access-levels', { limit: 200 }) });
  const queue = usePaged<AccessRequest>(keys.requestQueue(status), (cursor, signal) =>
    api.get('/access-requests', { status: status || undefined, limit: 50, cursor }, signal),
  );
  const customerName = useMemo(() => new Map((customers.data ?? []).map((c) => [c.id, customerLabel(c)])), [customers.data]);
  const levelName = useMemo(() => new Map((levels.data ?? []).map((l) => [l.id, l.name])), [levels.data]);

  return (
    <>
      <PageHeader title="Access requests" />
      <ErrorNotice error={customers.error ?? levels.error} />
      <section className="panel" aria-labelledby="queue-title">
        <h2 id="queue-title">Requests</h2>
        <div className="grid-3">
          <Field label="Status">
            {(id) => (
              <select id={id} value={status} onChange={(e) => setStatus(e.target.value)}>
                <option value="">All</option>
                {STATUSES.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <div>
            <button type="button" onClick={() => void queue.reload()} disabled={queue.loading}>
              Refresh
            </button>
          </div>
        </div>
        <ErrorNotice error={queue.error} />
        {queue.items === undefined && !queue.error ? <Loading what="Loading requests" /> : null}
        {queue.items && queue.items.length === 0 ? <Empty>No requests.</Empty> : null}
        {queue.items && queue.items.length > 0 ? (
          <div className="table-wrap">
            <table>
              <caption className="security-sr-only">Customer requests, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Filed</th>
                  <th scope="col">Customer</th>
                  <th scope="col">Request</th>
                  <th scope="col">Person</th>
                  <th scope="col">Access level</th>
                  <th scope="col">Period</th>
                  <th scope="col">Status</th>
                  {canDecide ? <th scope="col">Decision</th> : null}
                </tr>
              </thead>
              <tbody>
                {queue.items.map((r) => (
                  <tr key={r.id} data-request={r.id}>
                    <td>{formatTime(r.requestedAt)}</td>
                    <td>{customerName.get(r.customerId) ?? <ShortId id={r.customerId} />}</td>
                    <td>{KIND_LABEL[r.kind]}</td>
                    <th scope="row">{r.fullName ?? <ShortId id={r.personId} />}</th>
                    <td>{r.accessLevelId ? (levelName.get(r.accessLevelId) ?? <ShortId id={r.accessLevelId} />) : '—'}</td>
                    <td>{periodText(r, formatTime)}</td>
                    <td>
                      <Status tone={STATUS_TONE[r.status]}>{r.status}</Status>
                      {r.enrolment === 'invited' ? ' · invited to enrolment' : ''}
                      {r.reason ? ` · ${r.reason}` : ''}
                    </td>
                    {canDecide ? <td>{r.status === 'pending' ? <Decide request={r} /> : null}</td> : null}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <LoadMore pages={queue} one="request" many="requests" className="requests-more" />
      </section>
      {canDecide ? <PreApproved levels={levels.data ?? []} customers={customers.data} /> : null}
    </>
  );
}

function Decide({ request }: { request: AccessRequest }) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const [reason, setReason] = useState('');
  const decide = useMutation({
    mutationFn: (verb: 'approve' | 'refuse') =>
      api.post<AccessRequest>(`/access-requests/${request.id}/${verb}`, reason.trim() ? { reason: reason.trim() } : {}),
    onSuccess: () => invalidate(keys.requestQueue(), keys.people(request.customerId), keys.grants(request.customerId)),
  });
  return (
    <div className="request-decision">
      <ErrorNotice error={decide.error} />
      <label>
        Reason
        <input value={reason} onChange={(e) => setReason(e.target.value)} aria-label={`Reason for request ${request.id}`} />
      </label>
      <button type="button" className="primary" disabled={decide.isPending} onClick={() => decide.mutate('approve')}>
        Approve
      </button>
      <button type="button" disabled={decide.isPending || !reason.trim()} onClick={() => decide.mutate('refuse')}>
        Refuse
      </button>
    </div>
  );
}

function PreApproved({ levels, customers }: { levels: Level[]; customers: ReturnType<typeof useCustomers>['data'] }) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const [customerId, setCustomerId] = useState('');
  const current = useQuery({
    queryKey: keys.preApproved(customerId),
    queryFn: () => api.get<Schemas['PreApprovedLevelsView']>(`/customers/${customerId}/pre-approved-access-levels`),
    enabled: !!customerId,
  });
  const [picked, setPicked] = useState<Set<string> | null>(null);
  const chosen = picked ?? new Set(current.data?.accessLevelIds ?? []);
  const save = useMutation({
    mutationFn: () => api.put(`/customers/${customerId}/pre-approved-access-levels`, { accessLevelIds: [...chosen] }),
    onSuccess: async () => {
      setPicked(null);
      await invalidate(keys.preApproved(customerId), keys.requestableLevels(customerId));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <section className="panel" aria-labelledby="pre-approved-title">
      <h2 id="pre-approved-title">Pre-approved access levels</h2>
      <p className="muted">A customer&apos;s request for one of these levels applies at once, without waiting for a decision.</p>
      <CustomerSelect
        customers={customers}
        value={customerId}
        onChange={(id) => {
          setCustomerId(id);
          setPicked(null);
        }}
      />
      {customerId ? (
        <form onSubmit={(e) => void submit(e)}>
          <ErrorNotice error={current.error ?? save.error} />
          <fieldset>
            <legend>Access levels</legend>
            {levels.map((l) => (
              <label key={l.id} className="checkbox">
                <input
                  type="checkbox"
                  checked={chosen.has(l.id)}
                  onChange={(e) => {
                    const next = new Set(chosen);
                    if (e.target.checked) next.add(l.id);
                    else next.delete(l.id);
                    setPicked(next);
                  }}
                />{' '}
                {l.name}
              </label>
            ))}
          </fieldset>
          <div className="form-actions">
            <button type="submit" className="primary" disabled={save.isPending || current.isPending}>
              Save pre-approved levels
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
