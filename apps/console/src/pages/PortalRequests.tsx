import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { keys, useInvalidate, usePaged } from '../queries';
import { useSession } from '../session';
import { Empty, ErrorNotice, Field, formatTime, Loading, PageHeader, ShortId, Status } from '../ui';
import { LoadMore, localToIso, peopleQuery } from './history/records';
import { DataSubjectRequests } from './requests/DataSubjectRequests';
import { KIND_LABEL, periodText, STATUS_TONE, type AccessRequest, type RequestableLevel, type RequestKind } from './requests/model';

/**
 * A customer administrator's requests: add a person, give a person access to one of the
 * customer's access levels for a period, end a person's access (applied at once). The API
 * scopes every route to the principal's own customer; the datacenter's staff decide the rest.
 */
export function PortalRequestsPage() {
  const { api, principal } = useSession();
  const customerId = principal.customerId ?? '';
  const people = useQuery({ ...peopleQuery<{ id: string; fullName: string }>(api, customerId), enabled: !!customerId });
  const levels = useQuery({
    queryKey: keys.requestableLevels(customerId),
    queryFn: () => api.get<RequestableLevel[]>(`/customers/${customerId}/requestable-access-levels`),
    enabled: !!customerId,
  });
  const requests = usePaged<AccessRequest>(keys.accessRequests(customerId, 'all'), (cursor, signal) =>
    api.get(`/customers/${customerId}/access-requests`, { limit: 50, cursor }, signal),
  );
  const personName = useMemo(() => new Map((people.data ?? []).map((p) => [p.id, p.fullName])), [people.data]);
  const levelName = useMemo(() => new Map((levels.data ?? []).map((l) => [l.id, l.name])), [levels.data]);

  return (
    <>
      <PageHeader title="Requests" />
      <ErrorNotice error={people.error ?? levels.error} />
      <FileRequestForm customerId={customerId} people={people.data ?? []} levels={levels.data ?? []} />
      <section className="panel" aria-labelledby="requests-title">
        <h2 id="requests-title">Our requests</h2>
        <button type="button" onClick={() => void requests.reload()} disabled={requests.loading}>
          Refresh
        </button>
        <ErrorNotice error={requests.error} />
        {requests.items === undefined && !requests.error ? <Loading what="Loading requests" /> : null}
        {requests.items && requests.items.length === 0 ? <Empty>No requests yet.</Empty> : null}
        {requests.items && requests.items.length > 0 ? (
          <div className="table-wrap">
            <table>
              <caption className="security-sr-only">Requests of this customer, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Filed</th>
                  <th scope="col">Request</th>
                  <th scope="col">Person</th>
                  <th scope="col">Access level</th>
                  <th scope="col">Period</th>
                  <th scope="col">Status</th>
                  <th scope="col">Reason</th>
                </tr>
              </thead>
              <tbody>
                {requests.items.map((r) => (
                  <tr key={r.id} data-request={r.id}>
                    <td>{formatTime(r.requestedAt)}</td>
                    <td>{KIND_LABEL[r.kind]}</td>
                    <th scope="row">{r.fullName ?? (r.personId ? (personName.get(r.personId) ?? <ShortId id={r.personId} />) : '—')}</th>
                    <td>{r.accessLevelId ? (levelName.get(r.accessLevelId) ?? <ShortId id={r.accessLevelId} />) : r.kind === 'remove' ? 'All' : '—'}</td>
                    <td>{periodText(r, formatTime)}</td>
                    <td>
                      <Status tone={STATUS_TONE[r.status]}>{r.status}</Status>
                      {r.preApproved ? ' (pre-approved)' : ''}
                      {r.enrolment === 'invited' ? ' · invited to enrolment' : ''}
                    </td>
                    <td>{r.reason ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
        <LoadMore pages={requests} one="request" many="requests" className="requests-more" />
      </section>
      <DataSubjectRequests customerId={customerId} people={people.data ?? []} />
    </>
  );
}

function FileRequestForm({ customerId, people, levels }: { customerId: string; people: Array<{ id: string; fullName: string }>; levels: RequestableLevel[] }) {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const [kind, setKind] = useState<RequestKind>('add_person');
  const [fullName, setFullName] = useState('');
  const [email, setEmail] = useState('');
  const [personId, setPersonId] = useState('');
  const [levelId, setLevelId] = useState('');
  const [from, setFrom] = useState('');
  const [until, setUntil] = useState('');
  const [filed, setFiled] = useState<AccessRequest | null>(null);
  const file = useMutation({
    mutationFn: (body: Record<string, string>) => api.post<AccessRequest>(`/customers/${customerId}/access-requests`, body),
    onSuccess: async (r) => {
      setFiled(r);
      setFullName('');
      setEmail('');
      await invalidate(keys.accessRequests(customerId), keys.people(customerId), keys.grants(customerId));
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, string> = { kind };
    if (kind === 'add_person') {
      body.fullName = fullName.trim();
      if (email.trim()) body.email = email.trim();
    } else body.personId = personId;
    if (levelId) body.accessLevelId = levelId;
    if (kind !== 'remove') {
      const f = localToIso(from);
      const u = localToIso(until);
      if (f) body.validFrom = f;
      if (u) body.validUntil = u;
    }
    setFiled(null);
    file.mutate(body);
  };
  return (
    <section className="panel" aria-labelledby="file-title">
      <h2 id="file-title">New request</h2>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <ErrorNotice error={file.error} />
        {filed ? (
          <p role="status">
            {KIND_LABEL[filed.kind]}: <Status tone={STATUS_TONE[filed.status]}>{filed.status}</Status>
            {filed.status === 'pending' ? ' — the datacenter staff will decide.' : ''}
          </p>
        ) : null}
        <div className="grid-3">
          <Field label="Request">
            {(id) => (
              <select id={id} value={kind} onChange={(e) => setKind(e.target.value as RequestKind)}>
                {Object.entries(KIND_LABEL).map(([k, label]) => (
                  <option key={k} value={k}>
                    {label}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {kind === 'add_person' ? (
            <>
              <Field label="Full name">{(id) => <input id={id} autoComplete="off" value={fullName} onChange={(e) => setFullName(e.target.value)} />}</Field>
              <Field label="E-mail" hint="Optional">
                {(id) => <input id={id} type="email" autoComplete="off" value={email} onChange={(e) => setEmail(e.target.value)} />}
              </Field>
            </>
          ) : (
            <Field label="Person">
              {(id) => (
                <select id={id} value={personId} onChange={(e) => setPersonId(e.target.value)}>
                  <option value="">Choose a person…</option>
                  {people.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.fullName}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          )}
          <Field label="Access level" hint={kind === 'add_person' ? 'Optional' : kind === 'remove' ? 'Leave empty to end all access' : undefined}>
            {(id) => (
              <select id={id} value={levelId} onChange={(e) => setLevelId(e.target.value)}>
                <option value="">{kind === 'remove' ? 'All access' : kind === 'grant' ? 'Choose an access level…' : 'None'}</option>
                {levels.map((l) => (
                  <option key={l.id} value={l.id}>
                    {l.name}
                    {l.preApproved ? ' (pre-approved)' : ''}
                  </option>
                ))}
              </select>
            )}
          </Field>
          {kind !== 'remove' ? (
            <>
              <Field label="From" hint="Optional">
                {(id) => <input id={id} type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />}
              </Field>
              <Field label="Until" hint="Optional">
                {(id) => <input id={id} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />}
              </Field>
            </>
          ) : null}
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={file.isPending}>
            {file.isPending ? 'Sending…' : kind === 'remove' ? 'End access now' : 'Send request'}
          </button>
        </div>
      </form>
    </section>
  );
}
