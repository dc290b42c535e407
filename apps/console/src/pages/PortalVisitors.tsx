import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { keys, useInvalidate } from '../queries';
import { useSession } from '../session';
import { Empty, ErrorNotice, Field, Loading, PageHeader, ShortId, Status } from '../ui';
import { peopleQuery } from './history/records';
import type { RequestableLevel } from './requests/model';
import { STATUS_LABEL, STATUS_TONE, windowText, windowToIso, type Visitor } from './visitors/model';

type Person = { id: string; fullName: string; kind?: string };

/**
 * A customer administrator's visitors: register who is coming (name, company, e-mail, host, where
 * and when), follow them (expected, checked in, left, no-show, cancelled, erased) and call off a
 * visit still expected. The security desk checks the ID document and lets them in; the API scopes
 * every route to the principal's customer.
 */
export function PortalVisitorsPage() {
  const { api, principal } = useSession();
  const customerId = principal.customerId ?? '';
  const people = useQuery({ ...peopleQuery<Person>(api, customerId), enabled: !!customerId });
  const levels = useQuery({
    queryKey: keys.requestableLevels(customerId),
    queryFn: () => api.get<RequestableLevel[]>(`/customers/${customerId}/requestable-access-levels`),
    enabled: !!customerId,
  });
  const visitors = useQuery({
    queryKey: keys.visitors(customerId),
    queryFn: () => api.get<Visitor[]>(`/customers/${customerId}/visitors`),
    enabled: !!customerId,
  });
  const hosts = useMemo(() => (people.data ?? []).filter((p) => p.kind !== 'visitor'), [people.data]);
  const personName = useMemo(() => new Map((people.data ?? []).map((p) => [p.id, p.fullName])), [people.data]);
  const levelName = useMemo(() => new Map((levels.data ?? []).map((l) => [l.id, l.name])), [levels.data]);

  return (
    <>
      <PageHeader title="Visitors" />
      <ErrorNotice error={people.error ?? levels.error} />
      <RegisterVisitorForm customerId={customerId} hosts={hosts} levels={levels.data ?? []} />
      <section className="panel" aria-labelledby="visitors-title">
        <h2 id="visitors-title">Our visitors</h2>
        <button type="button" onClick={() => void visitors.refetch()} disabled={visitors.isFetching}>
          Refresh
        </button>
        <ErrorNotice error={visitors.error} />
        {visitors.isPending && !visitors.error ? <Loading what="Loading visitors" /> : null}
        {visitors.data && visitors.data.length === 0 ? <Empty>No visitors registered.</Empty> : null}
        {visitors.data && visitors.data.length > 0 ? (
          <div className="table-wrap">
            <table>
              <caption className="security-sr-only">Visitors of this customer, latest visit first</caption>
              <thead>
                <tr>
                  <th scope="col">Date</th>
                  <th scope="col">Visitor</th>
                  <th scope="col">Company</th>
                  <th scope="col">Host</th>
                  <th scope="col">Access level</th>
                  <th scope="col">Window</th>
                  <th scope="col">Status</th>
                  <th scope="col">Action</th>
                </tr>
              </thead>
              <tbody>
                {visitors.data.map((v) => (
                  <VisitRow key={v.id} v={v} host={personName.get(v.hostPersonId)} level={levelName.get(v.accessLevelId)} />
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
    </>
  );
}

function VisitRow({ v, host, level }: { v: Visitor; host: string | undefined; level: string | undefined }) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const cancel = useMutation({
    mutationFn: () => api.post<Visitor>(`/customers/${v.customerId}/visitors/${v.id}/cancel`),
    onSuccess: () => invalidate(keys.visitors(v.customerId)),
  });
  const name = v.fullName ?? '(erased)';
  return (
    <tr data-visitor={v.id}>
      <td>{v.visitDate}</td>
      <th scope="row">{name}</th>
      <td>{v.company ?? '—'}</td>
      <td>{host ?? <ShortId id={v.hostPersonId} />}</td>
      <td>{level ?? <ShortId id={v.accessLevelId} />}</td>
      <td>{windowText(v)}</td>
      <td>
        <Status tone={STATUS_TONE[v.status]}>{STATUS_LABEL[v.status]}</Status>
        {v.status === 'checked_in' && v.escortRequired ? ' · escorted' : ''}
      </td>
      <td>
        <ErrorNotice error={cancel.error} />
        {v.status === 'expected' ? (
          <button type="button" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
            Cancel visit of {name}
          </button>
        ) : null}
      </td>
    </tr>
  );
}

function RegisterVisitorForm({ customerId, hosts, levels }: { customerId: string; hosts: Person[]; levels: RequestableLevel[] }) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const [fullName, setFullName] = useState('');
  const [company, setCompany] = useState('');
  const [email, setEmail] = useState('');
  const [hostPersonId, setHost] = useState('');
  const [accessLevelId, setLevel] = useState('');
  const [date, setDate] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [done, setDone] = useState<Visitor | null>(null);
  const register = useMutation({
    mutationFn: (body: Record<string, string>) => api.post<Visitor>(`/customers/${customerId}/visitors`, body),
    onSuccess: async (v) => {
      setDone(v);
      setFullName('');
      setCompany('');
      setEmail('');
      await invalidate(keys.visitors(customerId));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    // An incomplete window is sent as given: the server's validation names the missing field.
    const window = windowToIso(date, from, until) ?? { windowStart: '', windowEnd: '' };
    const body: Record<string, string> = { fullName: fullName.trim(), hostPersonId, accessLevelId, ...window };
    if (company.trim()) body.company = company.trim();
    if (email.trim()) body.email = email.trim();
    setDone(null);
    register.mutate(body);
  };
  return (
    <section className="panel" aria-labelledby="register-title">
      <h2 id="register-title">Register a visitor</h2>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <ErrorNotice error={register.error} />
        {done ? (
          <p role="status">
            {done.fullName} is expected on {done.visitDate}; the security desk will check their ID document.
          </p>
        ) : null}
        <div className="grid-3">
          <Field label="Visitor's full name">
            {(id) => <input id={id} autoComplete="off" value={fullName} onChange={(e) => setFullName(e.target.value)} />}
          </Field>
          <Field label="Company" hint="Optional">
            {(id) => <input id={id} autoComplete="off" value={company} onChange={(e) => setCompany(e.target.value)} />}
          </Field>
          <Field label="Visitor's e-mail" hint="Optional">
            {(id) => <input id={id} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />}
          </Field>
          <Field label="Host" hint="Receives the visitor and escorts them">
            {(id) => (
              <select id={id} value={hostPersonId} onChange={(e) => setHost(e.target.value)}>
                <option value="">Choose a person…</option>
                {hosts.map((p) => (
                  <option key={p.id} value={p.id}>
                    {p.fullName}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Access level" hint="Where the visitor may go">
            {(id) => (
              <select id={id} value={accessLevelId} onChange={(e) => setLevel(e.target.value)}>
                <option value="">Choose an access level…</option>
                {levels.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.name}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Date">{(id) => <input id={id} type="date" value={date} onChange={(e) => setDate(e.target.value)} />}</Field>
          <Field label="Arrives from">{(id) => <input id={id} type="time" value={from} onChange={(e) => setFrom(e.target.value)} />}</Field>
          <Field label="Access until" hint="Access ends then, checked out or not">
            {(id) => <input id={id} type="time" value={until} onChange={(e) => setUntil(e.target.value)} />}
          </Field>
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={register.isPending}>
            {register.isPending ? 'Registering…' : 'Register visitor'}
          </button>
        </div>
      </form>
    </section>
  );
}
