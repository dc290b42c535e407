import { useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import type { Schemas } from '../api';
import { useSession } from '../session';
import { keys, usePaged } from '../queries';
import { Empty, ErrorNotice, Field, formatTime, Loading, PageHeader, Status, type Tone } from '../ui';
import { detailLabel, detailValue, loadAuditNames, typeLabel, type AuditNames } from './audit/names';
import { LoadMore, localToIso } from './history/records';
import './Audit.css';

type AuditEntry = Schemas['AuditEntryView'];

type ChainVerdict = Schemas['ChainVerdictView'];

interface Filters {
  action: string;
  actorId: string;
  targetType: string;
  targetId: string;
  outcome: string;
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { action: '', actorId: '', targetType: '', targetId: '', outcome: '', from: '', to: '' };
const PAGE_SIZE = 50;
/** GET /audit/verify is for admins and auditors only (audit controller). */
const VERIFIERS = ['admin', 'auditor'];
/** The actions the controllers record (@Audited), offered as suggestions; the field takes any action code the API records. */
const KNOWN_ACTIONS = [
  'access_event.export',
  'access_event.list',
  'access_event.retention',
  'access_event.totals',
  'access_event.verify',
  'access_level.create',
  'access_level.delete',
  'access_level.update',
  'alarm.acknowledge',
  'compliance.certificate.read',
  'compliance.legal_hold.place',
  'compliance.legal_hold.release',
  'compliance.person.erase',
  'compliance.person.export',
  'compliance.person.lift_restriction',
  'compliance.person.rectify',
  'compliance.person.restrict',
  'compliance.person.withdraw_biometrics',
  'compliance.purge.start',
  'compliance.request.close',
  'compliance.request.extend',
  'compliance.request.open',
  'controller.create',
  'controller.delete',
  'controller.rotate_secrets',
  'customer.create',
  'customer.delete',
  'customer.read',
  'customer.update',
  'door.access.read',
  'door.create',
  'door.delete',
  'door.hold_locked',
  'door.update',
  'enrollment.cancel',
  'enrollment.start',
  'fingerprint.delete',
  'grant.create',
  'grant.delete',
  'grant.update',
  'mqtt.security_alarm',
  'mqtt.security_alarm_acknowledge',
  'mqtt.security_event',
  'person.access.read',
  'person.create',
  'person.delete',
  'person.list',
  'person.read',
  'person.search',
  'person.update',
  'reader.create',
  'reader.delete',
  'reader.empty',
  'reader.reconcile',
  'reader.update',
  'schedule.create',
  'schedule.delete',
  'schedule.update',
  'site.create',
  'site.delete',
  'site.emergency_release',
  'site.lockdown',
  'site.update',
  'staff.create',
  'staff.disable',
  'token.issue',
  'token.revoke',
  'zone.create',
  'zone.delete',
  'zone.emergency_release',
  'zone.lockdown',
  'zone.update',
];
const OUTCOME_TONE: Record<string, Tone> = { success: 'ok', failure: 'warn', denied: 'bad' };

export function AuditPage() {
  const { api, principal } = useSession();
  // Other pages link here with an action filter (the Live page's security alarms: ?action=mqtt.security_event).
  const [params] = useSearchParams();
  const linked = /^[a-z0-9._-]{1,64}$/.test(params.get('action') ?? '') ? { ...NO_FILTERS, action: params.get('action') ?? '' } : NO_FILTERS;
  const [draft, setDraft] = useState<Filters>(linked);
  const [filters, setFilters] = useState<Filters>(linked);
  const [open, setOpen] = useState<string | null>(null);
  const names = useQuery({ queryKey: keys.auditNames(principal.role), queryFn: () => loadAuditNames(api, principal.role) }).data ?? new Map<string, string>();

  const entries = usePaged<AuditEntry>(keys.audit(filters), (cursor, signal) =>
    api.get(
      '/audit',
      {
        action: filters.action.trim() || undefined,
        actorId: filters.actorId.trim() || undefined,
        targetType: filters.targetType.trim() || undefined,
        targetId: filters.targetId.trim() || undefined,
        outcome: filters.outcome || undefined,
        from: localToIso(filters.from),
        to: localToIso(filters.to),
        limit: PAGE_SIZE,
        cursor,
      },
      signal,
    ),
  );

  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setDraft((d) => ({ ...d, [k]: e.target.value }));
  const apply = (e: FormEvent) => {
    e.preventDefault();
    setFilters(draft);
  };

  return (
    <>
      <PageHeader title="Audit trail">
        <button type="button" onClick={() => entries.reload()}>
          Refresh
        </button>
      </PageHeader>
      {VERIFIERS.includes(principal.role) ? <AuditVerify /> : null}
      <form className="panel filters" onSubmit={apply} aria-label="Audit filters">
        <Field label="Action">
          {(id) => (
            <>
              <input id={id} list={`${id}-actions`} value={draft.action} onChange={set('action')} placeholder="e.g. customer.update" spellCheck={false} />
              <datalist id={`${id}-actions`}>
                {KNOWN_ACTIONS.map((a) => (
                  <option key={a} value={a} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <Field label="Actor id">{(id) => <input id={id} value={draft.actorId} onChange={set('actorId')} spellCheck={false} />}</Field>
        <Field label="Target type">
          {(id) => <input id={id} value={draft.targetType} onChange={set('targetType')} placeholder="e.g. customer" spellCheck={false} />}
        </Field>
        <Field label="Target id">{(id) => <input id={id} value={draft.targetId} onChange={set('targetId')} spellCheck={false} />}</Field>
        <Field label="Outcome">
          {(id) => (
            <select id={id} value={draft.outcome} onChange={set('outcome')}>
              <option value="">Any outcome</option>
              <option value="success">Success</option>
              <option value="failure">Failure</option>
              <option value="denied">Denied</option>
            </select>
          )}
        </Field>
        <Field label="From">{(id) => <input id={id} type="datetime-local" value={draft.from} onChange={set('from')} />}</Field>
        <Field label="To">{(id) => <input id={id} type="datetime-local" value={draft.to} onChange={set('to')} />}</Field>
        <div className="audit-filter-actions">
          <button type="submit" className="primary">
            Apply filters
          </button>
          <button
            type="button"
            onClick={() => {
              setDraft(NO_FILTERS);
              setFilters(NO_FILTERS);
            }}
          >
            Clear
          </button>
        </div>
      </form>

      <ErrorNotice error={entries.error} />
      {entries.loading && !entries.items ? <Loading what="Loading the audit trail" /> : null}
      {entries.items && entries.items.length === 0 ? <Empty>No audit entries match these filters.</Empty> : null}
      {entries.items && entries.items.length > 0 ? (
        <div className="table-wrap">
          <table aria-label="Audit entries" aria-busy={entries.loading}>
            <thead>
              <tr>
                <th scope="col">Seq</th>
                <th scope="col">Time</th>
                <th scope="col">Actor</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Outcome</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {entries.items.map((e) => {
                const actorName = e.actorId ? (e.actorId === principal.staffId ? 'You' : names.get(e.actorId)) : undefined;
                const targetName = e.targetId ? names.get(e.targetId) : undefined;
                return (
                  <tr key={e.id}>
                    <td>{e.seq}</td>
                    <td className="audit-time">{formatTime(e.at)}</td>
                    <td title={e.actorId ?? undefined}>
                      {actorName ?? typeLabel(e.actorType)}
                      <span className="audit-sub">{[actorName ? typeLabel(e.actorType) : null, e.role].filter(Boolean).join(' · ')}</span>
                    </td>
                    <td>
                      <code>{e.action}</code>
                    </td>
                    <td title={e.targetId ?? undefined}>
                      {e.targetType ? (
                        <>
                          {targetName ?? typeLabel(e.targetType)}
                          {targetName ? <span className="audit-sub">{typeLabel(e.targetType)}</span> : null}
                        </>
                      ) : (
                        <span className="muted">—</span>
                      )}
                    </td>
                    <td>
                      <Status tone={OUTCOME_TONE[e.outcome] ?? 'idle'}>{e.outcome}</Status>
                    </td>
                    <td>
                      <button
                        type="button"
                        className="link"
                        aria-expanded={open === e.id}
                        onClick={() => setOpen(open === e.id ? null : e.id)}
                        aria-label={`${open === e.id ? 'Hide' : 'Show'} details of entry ${e.seq}`}
                      >
                        {open === e.id ? 'Hide' : 'Show'}
                      </button>
                      {open === e.id ? <AuditDetails entry={e} names={names} /> : null}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
      {entries.items ? <LoadMore pages={entries} one="entry" many="entries" className="audit-more" /> : null}
    </>
  );
}

/** One entry in full: who, what, and each detail field by its name, ids resolved where known. */
function AuditDetails({ entry: e, names }: { entry: AuditEntry; names: AuditNames }) {
  const rows: Array<[string, string, boolean]> = [
    ['Actor id', e.actorId ?? '—', true],
    ['Target id', e.targetId ?? '—', true],
    ...Object.entries(e.details ?? {}).map(([k, v]): [string, string, boolean] => [detailLabel(k), detailValue(v, names), false]),
    ['Request', e.requestId ?? '—', true],
    ['Entry hash', e.hash, true],
  ];
  return (
    <dl className="audit-details">
      {rows.map(([k, v, code]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{code && v !== '—' ? <code>{v}</code> : v}</dd>
        </div>
      ))}
    </dl>
  );
}

function AuditVerify() {
  const { api } = useSession();
  const [verdict, setVerdict] = useState<ChainVerdict | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const verify = async () => {
    setBusy(true);
    setError(null);
    try {
      setVerdict(await api.get<ChainVerdict>('/audit/verify'));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="panel audit-verify" aria-labelledby="audit-verify-title">
      <h2 id="audit-verify-title">Chain verification</h2>
      <button type="button" onClick={() => void verify()} disabled={busy}>
        {busy ? 'Verifying…' : 'Verify audit chain'}
      </button>
      <ErrorNotice error={error} />
      {verdict ? (
        <div role="status" className="audit-verdict">
          {verdict.ok ? <Status tone="ok">Chain intact</Status> : <Status tone="bad">Chain broken</Status>}
          <span>
            {verdict.checked} entries checked · head seq {verdict.headSeq ?? '—'} · <code title={verdict.headHash}>{verdict.headHash.slice(0, 16)}</code>
          </span>
          {verdict.firstBreak ? (
            <span>
              First break:{' '}
              {Object.entries(verdict.firstBreak).map(([k, v]) => (
                <span key={k}>
                  {k} <code>{String(v)}</code>{' '}
                </span>
              ))}
            </span>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
