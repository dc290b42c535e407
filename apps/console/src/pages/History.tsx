import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useMemo, useRef, useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import type { Query, Schemas } from '../api';
import { credentialLabel } from '../credentials';
import { reasonsQuery, reasonText } from '../reasons';
import { useSession } from '../session';
import { zoneLabel } from '../time';
import { keys, usePaged } from '../queries';
import { Empty, ErrorNotice, Field, formatTime, Loading, PageHeader, saveBlob, ShortId, Status } from '../ui';
import {
  countExportRows,
  CustomerSelect,
  customerLabel,
  formatBytes,
  formatSiteTime,
  LoadMore,
  localToIso,
  peopleQuery,
  useCustomers,
} from './history/records';
import './History.css';

type AccessEvent = Schemas['AccessEventView'];

type Totals = Schemas['AccessTotalsView'];

type ChainVerdict = Schemas['AccessChainVerdictView'];

interface Filters {
  from: string;
  to: string;
  doorId: string;
  personId: string;
  result: string;
  reason: string;
  kind: string;
}

const NO_FILTERS: Filters = { from: '', to: '', doorId: '', personId: '', result: '', reason: '', kind: '' };
const PAGE_SIZE = 25;
/** Roles the API lets verify a customer's chain (HISTORY_ASSURANCE in the access-log controller). */
const ASSURANCE = ['admin', 'compliance', 'auditor'];

function filterQuery(f: Filters): Query {
  return {
    from: localToIso(f.from),
    to: localToIso(f.to),
    doorId: f.doorId || undefined,
    personId: f.personId || undefined,
    result: f.result || undefined,
    reason: f.reason || undefined,
    kind: f.kind || undefined,
  };
}

export function HistoryPage() {
  const { api, principal } = useSession();
  const [params, setParams] = useSearchParams();
  const customerId = params.get('customer') ?? '';
  const customers = useCustomers(api);
  const customer = customers.data?.find((c) => c.id === customerId);

  return (
    <>
      <PageHeader title="Access history" />
      <ErrorNotice error={customers.error} />
      <div className="panel history-pick">
        <CustomerSelect customers={customers.data} value={customerId} onChange={(id) => setParams(id ? { customer: id } : {}, { replace: false })} />
        {customer ? (
          <p className="muted">
            Service {customer.serviceEnd ? `ends ${formatTime(customer.serviceEnd)}` : 'has no end date'} · status <strong>{customer.status}</strong>
          </p>
        ) : null}
      </div>
      {customerId ? (
        <CustomerHistory
          key={customerId}
          customerId={customerId}
          customerName={customer ? customerLabel(customer) : customerId}
          canVerify={ASSURANCE.includes(principal.role)}
        />
      ) : (
        <Empty>Choose a customer to see its access history.</Empty>
      )}
    </>
  );
}

/**
 * One customer's history: filters, totals, export and chain verification. `staffLookups` names
 * doors, sites and reasons through staff-only routes; a customer administrator's page (OwnHistory)
 * turns it off and shows ids and codes instead of asking for what would be refused.
 */
export function CustomerHistory({
  customerId,
  customerName,
  canVerify,
  staffLookups = true,
}: {
  customerId: string;
  customerName: string;
  canVerify: boolean;
  staffLookups?: boolean;
}) {
  const { api } = useSession();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  // Lifted here so that a broken link found by verification is also marked in the table.
  const [verdict, setVerdict] = useState<ChainVerdict | null>(null);
  const brokenId = verdict && !verdict.ok ? String(verdict.firstBreak?.id ?? '') : '';

  const doors = useQuery({ queryKey: keys.doors(), queryFn: () => api.all<{ id: string; name: string }>('/doors', { limit: 200 }), enabled: staffLookups });
  // Names are shown to staff; the request carries only the customer id.
  const people = useQuery(peopleQuery<{ id: string; fullName: string }>(api, customerId));
  const reasons = useQuery({ ...reasonsQuery(api), enabled: staffLookups });
  const sites = useQuery({ queryKey: keys.sites(), queryFn: () => api.all<{ id: string; timeZone: string }>('/sites', { limit: 200 }), enabled: staffLookups });
  const siteZone = useMemo(() => new Map((sites.data ?? []).map((s) => [s.id, s.timeZone])), [sites.data]);
  const doorName = useMemo(() => new Map((doors.data ?? []).map((d) => [d.id, d.name])), [doors.data]);
  const personName = useMemo(() => new Map((people.data ?? []).map((p) => [p.id, p.fullName])), [people.data]);

  const events = usePaged<AccessEvent>(keys.accessEvents(customerId, filters), (cursor, signal) =>
    api.get(`/customers/${customerId}/access-events`, { ...filterQuery(filters), limit: PAGE_SIZE, cursor }, signal),
  );

  // Each row is on its own site's wall clock; the zones in view are named once above the table.
  const zonesShown = [...new Set((events.items ?? []).map((e) => siteZone.get(e.siteId)).filter((z): z is string => Boolean(z)))].map((z) => zoneLabel(z));

  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
  };
  const clear = () => {
    setDraft(NO_FILTERS);
    setFilters(NO_FILTERS);
  };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));

  return (
    <>
      <form className="panel filters" onSubmit={apply} aria-label="History filters">
        <Field label="From">{(id) => <input id={id} type="datetime-local" value={draft.from} onChange={set('from')} />}</Field>
        <Field label="To">{(id) => <input id={id} type="datetime-local" value={draft.to} onChange={set('to')} />}</Field>
        <Field label="Door">
          {(id) => (
            <select id={id} value={draft.doorId} onChange={set('doorId')}>
              <option value="">All doors</option>
              {(doors.data ?? []).map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Person">
          {(id) => (
            <select id={id} value={draft.personId} onChange={set('personId')}>
              <option value="">Everyone</option>
              {(people.data ?? []).map((p) => (
                <option key={p.id} value={p.id}>
                  {p.fullName}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Result">
          {(id) => (
            <select id={id} value={draft.result} onChange={set('result')}>
              <option value="">Any result</option>
              <option value="granted">Granted</option>
              <option value="denied">Denied</option>
            </select>
          )}
        </Field>
        <Field label="Reason">
          {(id) => (
            <select id={id} className="history-reason-select" value={draft.reason} onChange={set('reason')}>
              <option value="">Any reason</option>
              {[...(reasons.data?.values() ?? [])].map((r) => (
                <option key={r.code} value={r.code}>
                  {r.description}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Kind">
          {(id) => (
            <select id={id} value={draft.kind} onChange={set('kind')}>
              <option value="">Attempts and follow-ups</option>
              <option value="attempt">Attempts</option>
              <option value="follow_up">Follow-ups</option>
            </select>
          )}
        </Field>
        <div className="history-filter-actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button type="button" onClick={clear}>
            Clear
          </button>
        </div>
      </form>

      <div className="history-layout">
        <section aria-labelledby="events-title">
          <div className="history-events-head">
            <h2 id="events-title">Events</h2>
            {zonesShown.length > 0 ? <span className="muted">Times on the site&apos;s clock, 24-hour: {zonesShown.join(', ')}</span> : null}
          </div>
          <ErrorNotice error={events.error} />
          {events.loading && !events.items ? <Loading what="Loading events" /> : null}
          {events.items && events.items.length === 0 ? <Empty>No events match these filters.</Empty> : null}
          {events.items && events.items.length > 0 ? (
            <div className="table-wrap">
              <table aria-label="Access events" aria-busy={events.loading}>
                <thead>
                  <tr>
                    <th scope="col" title="On the wall clock of the event's site">
                      Time (site)
                    </th>
                    <th scope="col">Door</th>
                    <th scope="col">Person</th>
                    <th scope="col">Direction</th>
                    <th scope="col">Result</th>
                    <th scope="col">Reason</th>
                    <th scope="col">Kind</th>
                    <th scope="col">Seq</th>
                  </tr>
                </thead>
                <tbody>
                  {events.items.map((e) => (
                    <tr key={e.id} className={e.id === brokenId ? 'history-broken' : undefined}>
                      <td className="history-time" title={zoneLabel(siteZone.get(e.siteId), e.occurredAt)}>
                        {formatSiteTime(e.occurredAt, siteZone.get(e.siteId))}
                        {e.id === brokenId ? (
                          <div>
                            <Status tone="bad">first broken link</Status>
                          </div>
                        ) : null}
                      </td>
                      <td>{e.doorId ? (doorName.get(e.doorId) ?? <ShortId id={e.doorId} />) : <span className="muted">—</span>}</td>
                      <td>{e.personId ? (personName.get(e.personId) ?? <ShortId id={e.personId} />) : <span className="muted">unknown</span>}</td>
                      <td>{e.direction}</td>
                      <td>
                        <Status tone={e.result === 'granted' ? 'ok' : 'bad'}>{e.result === 'granted' ? 'Granted' : 'Denied'}</Status>
                      </td>
                      <td className="history-reason" title={e.reason}>
                        {reasonText(reasons.data, e.reason)}
                      </td>
                      <td>
                        {e.kind === 'follow_up' ? 'follow-up' : 'attempt'}
                        {e.credential ? <span className="muted"> · {credentialLabel(e.credential)}</span> : null}
                      </td>
                      <td>{e.seq}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ) : null}
          {events.items ? <LoadMore pages={events} one="event" many="events" className="history-more" /> : null}
        </section>
        <aside className="history-side">
          {canVerify ? <VerifyPanel customerId={customerId} verdict={verdict} setVerdict={setVerdict} /> : null}
          <TotalsPanel customerId={customerId} filters={filters} doorName={doorName} />
          <ExportPanel customerId={customerId} customerName={customerName} filters={filters} />
        </aside>
      </div>
    </>
  );
}

/** Totals need a period; without one in the filters, the last 30 days up to tomorrow. */
function TotalsPanel({ customerId, filters, doorName }: { customerId: string; filters: Filters; doorName: Map<string, string> }) {
  const { api } = useSession();
  const now = Date.now();
  const from = localToIso(filters.from) ?? new Date(now - 30 * 86_400_000).toISOString().slice(0, 10) + 'T00:00:00Z';
  const to = localToIso(filters.to) ?? new Date(now + 86_400_000).toISOString().slice(0, 10) + 'T00:00:00Z';
  const query = { from, to, doorId: filters.doorId || undefined, personId: filters.personId || undefined };
  const totals = useQuery({
    queryKey: keys.totals(customerId, query),
    queryFn: ({ signal }) => api.get<Totals>(`/customers/${customerId}/access-events/totals`, query, signal),
    // New filters count again with the old figures still shown, as the event list does.
    placeholderData: keepPreviousData,
  });
  const granted = (totals.data?.days ?? []).reduce((n, d) => n + d.granted, 0);
  const denied = (totals.data?.days ?? []).reduce((n, d) => n + d.denied, 0);
  return (
    <section className="panel" aria-labelledby="totals-title">
      <h2 id="totals-title">Totals</h2>
      <p className="muted">{filters.from || filters.to ? `${formatTime(from)} – ${formatTime(to)}` : 'Last 30 days'}</p>
      <ErrorNotice error={totals.error} />
      {totals.data ? (
        <>
          <dl className="history-totals">
            <div>
              <dt>Granted</dt>
              <dd data-testid="total-granted">{granted}</dd>
            </div>
            <div>
              <dt>Denied</dt>
              <dd data-testid="total-denied">{denied}</dd>
            </div>
          </dl>
          {totals.data.days.length > 0 ? (
            <details>
              <summary>Per day and door ({totals.data.days.length})</summary>
              <table aria-label="Totals per day and door">
                <thead>
                  <tr>
                    <th scope="col">Day</th>
                    <th scope="col">Door</th>
                    <th scope="col">Granted</th>
                    <th scope="col">Denied</th>
                  </tr>
                </thead>
                <tbody>
                  {totals.data.days.map((d) => (
                    <tr key={`${d.date}-${d.siteId}-${d.doorId ?? ''}`}>
                      <td>{d.date}</td>
                      <td>{d.doorId ? (doorName.get(d.doorId) ?? <ShortId id={d.doorId} />) : '—'}</td>
                      <td>{d.granted}</td>
                      <td>{d.denied}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          ) : null}
        </>
      ) : totals.isFetching ? (
        <Loading what="Counting" />
      ) : null}
    </section>
  );
}

function VerifyPanel({ customerId, verdict, setVerdict }: { customerId: string; verdict: ChainVerdict | null; setVerdict: (v: ChainVerdict | null) => void }) {
  const { api } = useSession();
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      setVerdict(await api.get<ChainVerdict>(`/customers/${customerId}/access-events/verify`));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel" aria-labelledby="verify-title">
      <h2 id="verify-title">Chain verification</h2>
      <p className="muted">Recomputes every hash of this customer&apos;s history and names the first broken link.</p>
      <button type="button" onClick={() => void verify()} disabled={busy}>
        {busy ? 'Verifying…' : 'Verify chain'}
      </button>
      <ErrorNotice error={error} />
      {verdict ? (
        <div className="history-verdict" role="status">
          {verdict.ok ? <Status tone="ok">Chain intact</Status> : <Status tone="bad">Chain broken</Status>}
          <dl>
            <dt>Events checked</dt>
            <dd>{verdict.checked}</dd>
            <dt>Head</dt>
            <dd>
              seq {verdict.headSeq ?? '—'} · <code title={verdict.headHash}>{verdict.headHash.slice(0, 16)}</code>
            </dd>
            {verdict.firstBreak ? (
              <>
                <dt>First break</dt>
                <dd>
                  {Object.entries(verdict.firstBreak).map(([k, v]) => (
                    <div key={k}>
                      {k}: <code>{String(v)}</code>
                    </div>
                  ))}
                </dd>
              </>
            ) : null}
          </dl>
        </div>
      ) : null}
    </section>
  );
}

function ExportPanel({ customerId, customerName, filters }: { customerId: string; customerName: string; filters: Filters }) {
  const { api } = useSession();
  const [format, setFormat] = useState<'csv' | 'jsonl'>('csv');
  const [timeZone, setTimeZone] = useState('');
  const [progress, setProgress] = useState<{ bytes: number; done: boolean; filename?: string; rows?: number } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const abort = useRef<AbortController | null>(null);

  const run = async () => {
    setError(null);
    setProgress({ bytes: 0, done: false });
    const ctl = new AbortController();
    abort.current = ctl;
    try {
      const out = await api.download(
        `/customers/${customerId}/access-events/export`,
        { ...filterQuery(filters), format, timeZone: timeZone.trim() || undefined },
        (bytes) => setProgress({ bytes, done: false }),
        ctl.signal,
      );
      const filename = out.filename ?? `access-history-${customerId}.${format}`;
      saveBlob(out.blob, filename);
      setProgress({ bytes: out.blob.size, done: true, filename, rows: await countExportRows(out.blob, format) });
    } catch (e) {
      setProgress(null);
      if ((e as Error).name !== 'AbortError') setError(e);
    } finally {
      abort.current = null;
    }
  };

  const running = progress !== null && !progress.done;
  return (
    <section className="panel" aria-labelledby="export-title">
      <h2 id="export-title">Export</h2>
      <p className="muted">The events of {customerName} matching the applied filters (every page, not only those shown).</p>
      <Field label="Format">
        {(id) => (
          <select id={id} value={format} onChange={(e) => setFormat(e.target.value as 'csv' | 'jsonl')} disabled={running}>
            <option value="csv">CSV (spreadsheet)</option>
            <option value="jsonl">JSON Lines</option>
          </select>
        )}
      </Field>
      <Field label="Time zone" hint="IANA name, e.g. Europe/Amsterdam. Empty: each site's own zone.">
        {(id) => <input id={id} value={timeZone} onChange={(e) => setTimeZone(e.target.value)} placeholder="Site zone" disabled={running} />}
      </Field>
      <div className="history-export-actions">
        <button type="button" className="primary" onClick={() => void run()} disabled={running}>
          {running ? 'Exporting…' : 'Export'}
        </button>
        {running ? (
          <button type="button" onClick={() => abort.current?.abort()}>
            Cancel
          </button>
        ) : null}
      </div>
      <ErrorNotice error={error} />
      {progress ? (
        <div className="history-progress">
          {/* The export is streamed without a known length, so the bar is indeterminate while it runs. */}
          <progress aria-label="Export progress" {...(progress.done ? { value: 1, max: 1 } : {})} />
          <p role="status" aria-live="polite">
            {progress.done
              ? `Export saved: ${progress.filename} (${progress.rows ?? 0} rows, ${formatBytes(progress.bytes)})`
              : `Received ${formatBytes(progress.bytes)}…`}
          </p>
        </div>
      ) : null}
    </section>
  );
}
