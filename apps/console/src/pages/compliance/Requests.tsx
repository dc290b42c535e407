import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSession } from '../../session';
import { keys, useInvalidate } from '../../queries';
import { Empty, ErrorNotice, Field, formatDate, Loading, ShortId, Status } from '../../ui';
import { CustomerSelect, customerLabel, peopleQuery, type Customer } from '../history/records';
import { DSR_KINDS, IDENTITY_METHODS, type DsrCase } from './types';

/** Data-subject requests: one month to answer, extendable once by two months (GDPR Art. 12(3)). */
export function RequestsView({ customers }: { customers: Customer[] | undefined }) {
  const { api } = useSession();
  const [status, setStatus] = useState('open');
  const [overdue, setOverdue] = useState(false);
  const filter = { status: overdue ? undefined : status || undefined, overdue: overdue || undefined };
  const cases = useQuery({ queryKey: keys.requests(filter), queryFn: () => api.get<DsrCase[]>('/compliance/requests', filter) });
  const [acting, setActing] = useState<{ id: string; action: 'extend' | 'close' } | null>(null);
  const byId = new Map((customers ?? []).map((c) => [c.id, c]));

  return (
    <>
      <OpenCase customers={customers} />
      <section className="panel" aria-labelledby="cases-title">
        <h2 id="cases-title">Requests</h2>
        <div className="filters">
          <Field label="Status">
            {(id) => (
              <select id={id} value={status} onChange={(e) => setStatus(e.target.value)} disabled={overdue}>
                <option value="">All</option>
                <option value="open">Open</option>
                <option value="completed">Completed</option>
                <option value="rejected">Rejected</option>
              </select>
            )}
          </Field>
          <label className="compliance-check">
            <input type="checkbox" checked={overdue} onChange={(e) => setOverdue(e.target.checked)} /> Overdue only
          </label>
        </div>
        <ErrorNotice error={cases.error} />
        {cases.isPending ? <Loading /> : null}
        {cases.data && cases.data.length === 0 ? <Empty>No request matches.</Empty> : null}
        {cases.data && cases.data.length > 0 ? (
          <table aria-label="Data-subject requests">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Customer</th>
                <th scope="col">Person</th>
                <th scope="col">Received</th>
                <th scope="col">Due</th>
                <th scope="col">Status</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {cases.data.map((c) => {
                const cust = byId.get(c.customerId);
                return (
                  <tr key={c.id}>
                    <td>
                      {c.kind}
                      {c.filedBy === 'customer' ? <div className="muted">filed by the customer</div> : null}
                    </td>
                    <td>{cust ? customerLabel(cust) : <ShortId id={c.customerId} />}</td>
                    <td>
                      <ShortId id={c.personId} />
                    </td>
                    <td>{formatDate(c.receivedAt)}</td>
                    <td>
                      {formatDate(c.dueAt)}
                      {c.extended ? <div className="muted">extended: {c.extensionReason}</div> : null}
                    </td>
                    <td>
                      {c.status === 'open' ? (
                        c.overdue ? (
                          <Status tone="bad">overdue</Status>
                        ) : (
                          <Status tone="info">open</Status>
                        )
                      ) : (
                        <Status tone={c.status === 'completed' ? 'ok' : 'idle'}>{c.status}</Status>
                      )}
                      {c.outcome ? <div className="muted">{c.outcome}</div> : null}
                    </td>
                    <td>
                      {c.status === 'open' && acting?.id !== c.id ? (
                        <div className="compliance-row-actions">
                          {!c.extended ? (
                            <button type="button" onClick={() => setActing({ id: c.id, action: 'extend' })}>
                              Extend…
                            </button>
                          ) : null}
                          <button type="button" onClick={() => setActing({ id: c.id, action: 'close' })}>
                            Close…
                          </button>
                        </div>
                      ) : null}
                      {acting?.id === c.id ? (
                        <CaseAction dsr={c} action={acting.action} onDone={() => setActing(null)} onCancel={() => setActing(null)} />
                      ) : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        ) : null}
      </section>
    </>
  );
}

/**
 * A date is entered; the API wants an instant and refuses one in the future. An earlier day is
 * taken at noon UTC (the same calendar day in every European zone); today is taken as a minute
 * ago, so that a browser clock slightly ahead of the server's is not refused.
 */
function receivedInstant(day: string): string {
  return day >= todayLocal() ? new Date(Date.now() - 60_000).toISOString() : `${day}T12:00:00Z`;
}

function todayLocal(): string {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

function OpenCase({ customers }: { customers: Customer[] | undefined }) {
  const { api } = useSession();
  const [customerId, setCustomerId] = useState('');
  const [personId, setPersonId] = useState('');
  const [kind, setKind] = useState<string>('access');
  const [receivedAt, setReceivedAt] = useState(todayLocal);
  const [identityMethod, setIdentityMethod] = useState('id_document_checked');
  const invalidate = useInvalidate();
  const people = useQuery(peopleQuery<{ id: string; fullName: string }>(api, customerId));
  const open = useMutation({
    mutationFn: (body: Record<string, string>) => api.post<DsrCase>('/compliance/requests', body),
    onSuccess: async () => {
      setPersonId('');
      await invalidate(keys.requests());
    },
  });
  const error = open.error;
  const opened = open.data ?? null;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    open.mutate({ kind, personId, receivedAt: receivedInstant(receivedAt), identityMethod });
  };

  return (
    <form className="panel" onSubmit={(e) => void submit(e)} aria-labelledby="open-case-title">
      <h2 id="open-case-title">Open a request</h2>
      <div className="grid-3">
        <CustomerSelect
          customers={customers}
          value={customerId}
          onChange={(id) => {
            setCustomerId(id);
            setPersonId('');
          }}
        />
        <Field label="Person">
          {(id) => (
            <select id={id} value={personId} onChange={(e) => setPersonId(e.target.value)} disabled={!customerId} required>
              <option value="">{customerId ? 'Choose a person…' : 'Choose a customer first'}</option>
              {(people.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.fullName}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Kind of request">
          {(id) => (
            <select id={id} value={kind} onChange={(e) => setKind(e.target.value)}>
              {DSR_KINDS.map((k) => (
                <option key={k} value={k}>
                  {k}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Received on">
          {(id) => <input id={id} type="date" required max={todayLocal()} value={receivedAt} onChange={(e) => setReceivedAt(e.target.value)} />}
        </Field>
        <Field label="Identity verified by" hint="Never upload or keep a copy of the ID.">
          {(id) => (
            <select id={id} value={identityMethod} onChange={(e) => setIdentityMethod(e.target.value)}>
              {Object.entries(IDENTITY_METHODS).map(([k, v]) => (
                <option key={k} value={k}>
                  {v}
                </option>
              ))}
            </select>
          )}
        </Field>
      </div>
      <ErrorNotice error={error} />
      {opened ? (
        <p className="notice notice-ok" role="status">
          Request opened; answer due {formatDate(opened.dueAt)}.
        </p>
      ) : null}
      <button type="submit" className="primary" disabled={!personId}>
        Open request
      </button>
    </form>
  );
}

function CaseAction({ dsr, action, onDone, onCancel }: { dsr: DsrCase; action: 'extend' | 'close'; onDone: () => void; onCancel: () => void }) {
  const { api } = useSession();
  const [text, setText] = useState('');
  const [status, setStatus] = useState<'completed' | 'rejected'>('completed');
  const invalidate = useInvalidate();
  const act = useMutation({
    mutationFn: () =>
      action === 'extend'
        ? api.post(`/compliance/requests/${dsr.id}/extend`, { reason: text })
        : api.post(`/compliance/requests/${dsr.id}/close`, { status, outcome: text }),
    onSuccess: async () => {
      await invalidate(keys.requests());
      onDone();
    },
  });
  const error = act.error;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    act.mutate();
  };
  return (
    <form onSubmit={(e) => void submit(e)} className="compliance-inline">
      {action === 'close' ? (
        <Field label="Closed as">
          {(id) => (
            <select id={id} value={status} onChange={(e) => setStatus(e.target.value as 'completed' | 'rejected')}>
              <option value="completed">Completed</option>
              <option value="rejected">Rejected</option>
            </select>
          )}
        </Field>
      ) : null}
      <Field label={action === 'extend' ? 'Reason for the extension' : 'Outcome'}>
        {(id) => <input id={id} required minLength={action === 'extend' ? 3 : 1} value={text} onChange={(e) => setText(e.target.value)} autoFocus />}
      </Field>
      <ErrorNotice error={error} />
      <button type="submit" className="primary">
        {action === 'extend' ? 'Extend by two months' : 'Close request'}
      </button>{' '}
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
    </form>
  );
}
