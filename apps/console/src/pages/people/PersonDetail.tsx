import { useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { useSession } from '../../session';
import { keys, useInvalidate } from '../../queries';
import { Empty, ErrorNotice, Field, Loading, PageHeader, ShortId, Status, formatTime } from '../../ui';
import { CardsPanel } from './Cards';
import { ConsentWithdrawal } from './ConsentWithdrawal';
import { Crumbs } from './Crumbs';
import { PERSON_TONE, can, fingerName, reasonText, type AccessLevel, type Customer, type DoorAccess, type Fingerprint, type Grant, type Person } from './model';

export function PersonDetail() {
  const { customerId = '', personId = '' } = useParams();
  const { api, principal } = useSession();
  const person = useQuery({
    queryKey: keys.person(customerId, personId),
    queryFn: ({ signal }) => api.get<Person>(`/customers/${customerId}/people/${personId}`, undefined, signal),
  });
  const customer = useQuery({ queryKey: keys.customer(customerId), queryFn: ({ signal }) => api.get<Customer>(`/customers/${customerId}`, undefined, signal) });
  const levels = useQuery({ queryKey: keys.accessLevels(), queryFn: () => api.all<AccessLevel>('/access-levels', { limit: 200 }) });
  const grants = useQuery({ queryKey: keys.grants(customerId), queryFn: () => api.all<Grant>(`/customers/${customerId}/grants`, { limit: 200 }) });
  const access = useQuery({
    queryKey: keys.access(customerId, personId),
    queryFn: ({ signal }) => api.get<DoorAccess[]>(`/customers/${customerId}/people/${personId}/access`, undefined, signal),
  });
  const fingers = useQuery({
    queryKey: keys.fingerprints(personId),
    queryFn: ({ signal }) => api.get<Fingerprint[]>(`/people/${personId}/fingerprints`, undefined, signal),
    enabled: can.seeFingerprints(principal.role),
  });
  // Bumped by "Issue a card instead" after a consent withdrawal: the cards panel takes the focus.
  const [issueRequest, setIssueRequest] = useState(0);
  const levelName = useMemo(() => new Map((levels.data ?? []).map((l) => [l.id, l.name])), [levels.data]);

  const name = person.data?.fullName ?? 'Person';
  return (
    <>
      <Crumbs
        items={[{ label: 'Customers', to: '/people' }, { label: customer.data?.companyName ?? 'Customer', to: `/people/${customerId}` }, { label: name }]}
      />
      <PageHeader title={name}>
        {person.data ? <Status tone={PERSON_TONE[person.data.status] ?? 'idle'}>{person.data.status}</Status> : null}
        {can.enrol(principal.role) ? (
          <Link className="button" to={`/enrol?customerId=${customerId}&personId=${personId}`}>
            Enrol a finger
          </Link>
        ) : null}
      </PageHeader>
      <ErrorNotice error={person.error} />
      {person.data ? (
        <dl className="person-facts">
          <div>
            <dt>E-mail</dt>
            <dd>{person.data.email ?? '—'}</dd>
          </div>
          <div>
            <dt>Phone</dt>
            <dd>{person.data.phone ?? '—'}</dd>
          </div>
          <div>
            <dt>Valid from</dt>
            <dd>{formatTime(person.data.validFrom)}</dd>
          </div>
          <div>
            <dt>Valid until</dt>
            <dd>{person.data.validUntil ? formatTime(person.data.validUntil) : 'no end'}</dd>
          </div>
          <div>
            <dt>Id</dt>
            <dd>
              <ShortId id={person.data.id} />
            </dd>
          </div>
        </dl>
      ) : null}

      <section className="panel" aria-labelledby="access-title">
        <div className="panel-head">
          <h2 id="access-title">Effective access now</h2>
          <button type="button" onClick={() => void access.refetch()} disabled={access.isFetching}>
            Refresh
          </button>
        </div>
        <p className="muted">Which doors this person can open at this moment, and why.</p>
        <ErrorNotice error={access.error} />
        {access.isPending ? <Loading what="Working out access" /> : null}
        {access.data && access.data.length === 0 ? <Empty>There are no doors yet.</Empty> : null}
        {access.data && access.data.length > 0 ? <AccessTable rows={access.data} levelName={levelName} /> : null}
      </section>

      <div className="grid-2">
        <GrantsPanel
          customerId={customerId}
          personId={personId}
          grants={grants.data}
          error={grants.error}
          loading={grants.isPending}
          levels={levels.data ?? []}
          levelName={levelName}
          canWrite={can.grant(principal.role)}
        />
        <section className="panel" aria-labelledby="fingers-title">
          <h2 id="fingers-title">Enrolled fingers</h2>
          {!can.seeFingerprints(principal.role) ? (
            <p className="muted">Your role does not see enrolment records.</p>
          ) : (
            <>
              <ErrorNotice error={fingers.error} />
              {fingers.isPending ? <Loading what="Loading fingers" /> : null}
              {fingers.data && fingers.data.length === 0 ? <Empty>No finger enrolled: this person cannot badge in yet.</Empty> : null}
              {fingers.data && fingers.data.length > 0 ? (
                <table>
                  <caption className="people-sr-only">Enrolled fingers</caption>
                  <thead>
                    <tr>
                      <th scope="col">Finger</th>
                      <th scope="col">Quality</th>
                      <th scope="col">Enrolled</th>
                    </tr>
                  </thead>
                  <tbody>
                    {fingers.data.map((f) => (
                      <tr key={f.id}>
                        <td>{fingerName(f.finger)}</td>
                        <td>{f.quality}</td>
                        <td>{formatTime(f.enrolledAt)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              ) : null}
            </>
          )}
        </section>
      </div>
      <CardsPanel personId={personId} issueRequest={issueRequest} />
      <ConsentWithdrawal personId={personId} onIssueCard={() => setIssueRequest((n) => n + 1)} />
    </>
  );
}

function AccessTable({ rows, levelName }: { rows: DoorAccess[]; levelName: Map<string, string> }) {
  // Allowed doors first: the desk's question is usually "can they get in", then "why not".
  const sorted = [...rows].sort((a, b) => Number(b.allowed) - Number(a.allowed) || a.doorName.localeCompare(b.doorName));
  return (
    <div className="table-wrap">
      <table className="access-table">
        <caption className="people-sr-only">Doors and whether this person can open them now</caption>
        <thead>
          <tr>
            <th scope="col">Door</th>
            <th scope="col">Now</th>
            <th scope="col">Why</th>
            <th scope="col">Access level</th>
            <th scope="col">Changes at</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((a) => (
            <tr key={a.doorId}>
              <th scope="row">{a.doorName || <ShortId id={a.doorId} />}</th>
              <td>{a.allowed ? <Status tone="ok">Allowed</Status> : <Status tone="bad">Denied</Status>}</td>
              <td>
                {reasonText(a.reason)} <code className="code">{a.reason}</code>
              </td>
              <td>{a.accessLevelId ? (levelName.get(a.accessLevelId) ?? <ShortId id={a.accessLevelId} />) : <span className="muted">—</span>}</td>
              <td>{a.until ? formatTime(a.until) : <span className="muted">—</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function GrantsPanel(props: {
  customerId: string;
  personId: string;
  grants: Grant[] | undefined;
  error: unknown;
  loading: boolean;
  levels: AccessLevel[];
  levelName: Map<string, string>;
  canWrite: boolean;
}) {
  const { api } = useSession();
  const [levelId, setLevelId] = useState('');
  const [until, setUntil] = useState('');
  const [confirming, setConfirming] = useState<string | null>(null);
  const invalidate = useInvalidate();
  // A grant changes the customer's grant list and what this person can open now.
  const changed = () => invalidate(keys.grants(props.customerId), keys.access(props.customerId, props.personId));
  const grant = useMutation({
    mutationFn: (body: Record<string, string>) => api.post('/grants', body),
    onSuccess: async () => {
      setLevelId('');
      setUntil('');
      await changed();
    },
  });
  const revokeGrant = useMutation({
    mutationFn: (id: string) => api.delete(`/grants/${id}`),
    onSuccess: async () => {
      setConfirming(null);
      await changed();
    },
  });
  const actionError = grant.error ?? revokeGrant.error;
  const busy = grant.isPending || revokeGrant.isPending;
  // The person's own grants plus the customer-wide ones, which apply to everyone of the customer.
  const mine = (props.grants ?? []).filter((g) => g.personId === props.personId || g.personId === null);

  const create = (e: FormEvent) => {
    e.preventDefault();
    const body: Record<string, string> = { accessLevelId: levelId, customerId: props.customerId, personId: props.personId };
    if (until) body.validUntil = new Date(until).toISOString();
    revokeGrant.reset();
    grant.mutate(body);
  };

  const revoke = (id: string) => {
    grant.reset();
    revokeGrant.mutate(id);
  };

  return (
    <section className="panel" aria-labelledby="grants-title">
      <h2 id="grants-title">Grants</h2>
      <ErrorNotice error={props.error} />
      <ErrorNotice error={actionError} />
      {props.loading && !props.grants ? <Loading what="Loading grants" /> : null}
      {props.grants && mine.length === 0 ? <Empty>No grant: this person opens no door.</Empty> : null}
      {mine.length > 0 ? (
        <table>
          <caption className="people-sr-only">Grants</caption>
          <thead>
            <tr>
              <th scope="col">Access level</th>
              <th scope="col">For</th>
              <th scope="col">Valid</th>
              {props.canWrite ? <th scope="col">Action</th> : null}
            </tr>
          </thead>
          <tbody>
            {mine.map((g) => {
              const level = props.levelName.get(g.accessLevelId) ?? g.accessLevelId.slice(0, 8);
              return (
                <tr key={g.id}>
                  <td>{level}</td>
                  <td>{g.personId ? 'This person' : 'Whole customer'}</td>
                  <td>
                    {g.validFrom ? formatTime(g.validFrom) : 'now'} – {g.validUntil ? formatTime(g.validUntil) : 'no end'}
                  </td>
                  {props.canWrite ? (
                    <td>
                      {g.personId === null ? (
                        <span className="muted">Customer-wide</span>
                      ) : confirming === g.id ? (
                        <span className="confirm">
                          <button type="button" className="danger" disabled={busy} onClick={() => void revoke(g.id)}>
                            Confirm revoke
                          </button>
                          <button type="button" onClick={() => setConfirming(null)}>
                            Keep
                          </button>
                        </span>
                      ) : (
                        <button type="button" aria-label={`Revoke grant ${level}`} onClick={() => setConfirming(g.id)}>
                          Revoke
                        </button>
                      )}
                    </td>
                  ) : null}
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {props.canWrite ? (
        <form className="grant-form" onSubmit={(e) => void create(e)} aria-labelledby="grant-form-title">
          <h3 id="grant-form-title">Grant access</h3>
          <div className="filters">
            <Field label="Access level">
              {(id) => (
                <select id={id} required value={levelId} onChange={(e) => setLevelId(e.target.value)}>
                  <option value="">Choose…</option>
                  {props.levels.map((l) => (
                    <option key={l.id} value={l.id}>
                      {l.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
            <Field label="Valid until (optional)">
              {(id) => <input id={id} type="datetime-local" value={until} onChange={(e) => setUntil(e.target.value)} />}
            </Field>
            <button type="submit" className="primary" disabled={busy || !levelId}>
              Grant
            </button>
          </div>
        </form>
      ) : null}
    </section>
  );
}
