import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import type { Schemas } from '../../api';
import { useSession } from '../../session';
import { keys, useInvalidate } from '../../queries';
import { Empty, ErrorNotice, formatDate, formatTime, Loading, ShortId, Status, type Tone } from '../../ui';
import { intervalWords } from '../../time';
import { CustomerSelect, customerLabel, type Customer } from '../history/records';
import { ERASURE_STEPS, STEP_LABELS, type ErasureJob, type PurgePreview } from './types';

const STATE_TONE: Record<string, Tone> = { running: 'info', waiting_for_devices: 'warn', held: 'warn', done: 'ok' };
const STATE_LABEL: Record<string, string> = { running: 'Running', waiting_for_devices: 'Waiting for readers', held: 'Held (legal hold)', done: 'Done' };

export function JobState({ job }: { job: ErasureJob }) {
  return <Status tone={STATE_TONE[job.state] ?? 'idle'}>{STATE_LABEL[job.state] ?? job.state}</Status>;
}

export function stepText(job: ErasureJob): string {
  if (job.step === 'done') return 'Done';
  const i = ERASURE_STEPS.indexOf(job.step as (typeof ERASURE_STEPS)[number]);
  return `Step ${i + 1} of ${ERASURE_STEPS.length}: ${STEP_LABELS[job.step] ?? job.step}`;
}

type PurgesDue = Schemas['DuePurgesView'];

function daysWords(n: number): string {
  return n === 1 ? '1 day' : `${n} days`;
}

/** What the server's purge schedule does with these, as configured (not as once assumed). */
export function scheduleText(schedule: PurgesDue['schedule'] | undefined): string {
  if (!schedule) return 'You may start one now.';
  if (!schedule.enabled) return 'Automatic purges are off on this server (PURGE_SCHEDULE_ENABLED): start each one here.';
  return `The server looks for due purges ${intervalWords(schedule.checkIntervalS)} and starts them; you may start one now.`;
}

/** Overview: what is due, what ends soon, what is running. */
export function PurgesView({ customers, canWrite }: { customers: Customer[] | undefined; canWrite: boolean }) {
  const { api } = useSession();
  const navigate = useNavigate();
  const [pick, setPick] = useState('');
  const due = useQuery({ queryKey: keys.purgesDue(), queryFn: () => api.get<PurgesDue>('/compliance/purges/due'), enabled: canWrite });
  const byId = new Map((customers ?? []).map((c) => [c.id, c]));
  const now = Date.now();
  const upcoming = (customers ?? [])
    // The server's status, not this browser's clock, says whether the service has ended.
    .filter((c) => c.serviceEnd && (c.status === 'active' || c.status === 'upcoming'))
    .sort((a, b) => Date.parse(a.serviceEnd!) - Date.parse(b.serviceEnd!));

  return (
    <>
      {canWrite ? (
        <div className="grid-2">
          <section className="panel" aria-labelledby="due-title">
            <h2 id="due-title">Purges due</h2>
            <p className="muted">Service ended (plus the grace period) and not purged yet. {scheduleText(due.data?.schedule)}</p>
            <ErrorNotice error={due.error} />
            {due.isPending ? <Loading /> : null}
            {due.data && due.data.customerIds.length === 0 ? <Empty>No purge is due.</Empty> : null}
            {due.data && due.data.customerIds.length > 0 ? (
              <table aria-label="Purges due">
                <thead>
                  <tr>
                    <th scope="col">Customer</th>
                    <th scope="col">Service ended</th>
                    <th scope="col">Action</th>
                  </tr>
                </thead>
                <tbody>
                  {due.data.customerIds.map((id) => {
                    const c = byId.get(id);
                    return (
                      <tr key={id}>
                        <td>{c ? customerLabel(c) : <ShortId id={id} />}</td>
                        <td>{formatDate(c?.serviceEnd)}</td>
                        <td>
                          <Link to={`/compliance/preview/${id}`} aria-label={`Preview purge of ${c ? c.companyName : id}`}>
                            Preview purge
                          </Link>
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            ) : null}
          </section>
          <section className="panel" aria-labelledby="preview-pick-title">
            <h2 id="preview-pick-title">Purge preview</h2>
            <p className="muted">A dry run for any customer: what a purge would erase (counts only, no names).</p>
            <form
              className="filters"
              onSubmit={(e: FormEvent) => {
                e.preventDefault();
                if (pick) void navigate(`/compliance/preview/${pick}`);
              }}
            >
              <CustomerSelect customers={customers} value={pick} onChange={setPick} label="Customer to preview" />
              <button type="submit" disabled={!pick}>
                Preview
              </button>
            </form>
          </section>
        </div>
      ) : null}
      <section className="panel" aria-labelledby="upcoming-title">
        <h2 id="upcoming-title">Upcoming contract ends</h2>
        {!customers ? <Loading /> : upcoming.length === 0 ? <Empty>No customer has given notice.</Empty> : null}
        {upcoming.length > 0 ? (
          <table aria-label="Upcoming contract ends">
            <thead>
              <tr>
                <th scope="col">Customer</th>
                <th scope="col">Service ends</th>
                <th scope="col">In</th>
              </tr>
            </thead>
            <tbody>
              {upcoming.map((c) => (
                <tr key={c.id}>
                  <td>{customerLabel(c)}</td>
                  <td>{formatDate(c.serviceEnd)}</td>
                  <td>{daysWords(Math.max(0, Math.ceil((Date.parse(c.serviceEnd!) - now) / 86_400_000)))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      <JobsList customers={customers} />
    </>
  );
}

function JobsList({ customers }: { customers: Customer[] | undefined }) {
  const { api } = useSession();
  const jobs = useQuery({
    queryKey: keys.erasures(),
    queryFn: () => api.get<ErasureJob[]>('/compliance/erasures'),
    // Jobs move on their own (readers confirm, holds release): refresh while any is unfinished.
    refetchInterval: (q) => ((q.state.data ?? []).some((j) => j.state !== 'done') ? 3000 : false),
  });
  const byId = new Map((customers ?? []).map((c) => [c.id, c]));
  return (
    <section className="panel" aria-labelledby="jobs-title">
      <div className="compliance-section-head">
        <h2 id="jobs-title">Erasures</h2>
        <button type="button" onClick={() => void jobs.refetch()}>
          Refresh
        </button>
      </div>
      <ErrorNotice error={jobs.error} />
      {jobs.isPending ? <Loading /> : null}
      {jobs.data && jobs.data.length === 0 ? <Empty>No erasure has run yet.</Empty> : null}
      {jobs.data && jobs.data.length > 0 ? (
        <div className="table-wrap">
          <table aria-label="Erasures">
            <thead>
              <tr>
                <th scope="col">Started</th>
                <th scope="col">Kind</th>
                <th scope="col">Customer</th>
                <th scope="col">State</th>
                <th scope="col">Step</th>
                <th scope="col">Readers outstanding</th>
                <th scope="col">Certificate</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.map((j) => {
                const c = byId.get(j.customerId);
                return (
                  <tr key={j.id}>
                    <td>
                      <Link to={`/compliance/jobs/${j.id}`} aria-label={`Erasure ${j.id.slice(-8)} details`}>
                        {formatTime(j.createdAt)}
                      </Link>
                    </td>
                    <td>
                      {j.kind}
                      {j.personId ? (
                        <>
                          {' '}
                          <ShortId id={j.personId} />
                        </>
                      ) : null}
                    </td>
                    <td>{c ? customerLabel(c) : <ShortId id={j.customerId} />}</td>
                    <td>
                      <JobState job={j} />
                    </td>
                    <td>{stepText(j)}</td>
                    <td>{j.outstandingReaders.length}</td>
                    <td>
                      {j.certificateIds.length > 0
                        ? j.certificateIds.map((id) => (
                            <Link key={id} to={`/compliance/certificates/${id}`}>
                              View certificate
                            </Link>
                          ))
                        : '—'}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}

export function JobDetail({ customers }: { customers: Customer[] | undefined }) {
  const { api } = useSession();
  const { jobId = '' } = useParams();
  const job = useQuery({
    queryKey: keys.erasure(jobId),
    queryFn: () => api.get<ErasureJob>(`/compliance/erasures/${jobId}`),
    refetchInterval: (q) => (q.state.data && q.state.data.state !== 'done' ? 2000 : false),
  });
  const j = job.data;
  const jobCustomer = j ? customers?.find((c) => c.id === j.customerId) : undefined;
  const current = j ? (j.step === 'done' ? ERASURE_STEPS.length : ERASURE_STEPS.indexOf(j.step as (typeof ERASURE_STEPS)[number])) : -1;
  return (
    <section className="panel" aria-labelledby="job-title">
      <p>
        <Link to="/compliance">← All purges</Link>
      </p>
      <h2 id="job-title">
        Erasure
        {j
          ? ` of ${j.kind === 'customer' ? 'customer' : j.kind === 'person' ? 'a person of' : 'the fingerprints of a person of'} ${jobCustomer ? customerLabel(jobCustomer) : j.customerId}`
          : ''}
      </h2>
      <ErrorNotice error={job.error} />
      {!j ? <Loading /> : null}
      {j ? (
        <>
          <p>
            <JobState job={j} /> <span>{stepText(j)}</span>
          </p>
          <ol className="compliance-steps" aria-label="Purge steps">
            {ERASURE_STEPS.map((s, i) => (
              <li key={s} className={i < current ? 'done' : i === current ? 'current' : 'pending'}>
                <span>{STEP_LABELS[s]}</span>{' '}
                {i < current ? <Status tone="ok">done</Status> : i === current ? <Status tone="info">current</Status> : <Status tone="idle">pending</Status>}
              </li>
            ))}
          </ol>
          <dl className="compliance-dl">
            <dt>Job</dt>
            <dd>
              <code>{j.id}</code>
            </dd>
            <dt>Customer</dt>
            <dd>
              <code>{j.customerId}</code>
            </dd>
            <dt>Trigger</dt>
            <dd>
              {j.trigger}
              {j.requestedBy ? ` by ${j.requestedBy}` : ''}
            </dd>
            <dt>Started</dt>
            <dd>{formatTime(j.createdAt)}</dd>
            <dt>Finished</dt>
            <dd>{formatTime(j.finishedAt)}</dd>
            {j.deferred.length > 0 ? (
              <>
                <dt>Deferred by legal hold</dt>
                <dd>{j.deferred.join(', ')}</dd>
              </>
            ) : null}
            {j.lastError ? (
              <>
                <dt>Last error</dt>
                <dd className="compliance-error">{j.lastError}</dd>
              </>
            ) : null}
          </dl>
          <h3>Readers outstanding</h3>
          {j.outstandingReaders.length === 0 ? (
            <Empty>No reader is waiting to confirm its deletes.</Empty>
          ) : (
            <table aria-label="Readers outstanding">
              <thead>
                <tr>
                  <th scope="col">Reader</th>
                  <th scope="col">Slots still holding templates</th>
                  <th scope="col">Pending operations</th>
                </tr>
              </thead>
              <tbody>
                {j.outstandingReaders.map((r) => (
                  <tr key={r.readerId}>
                    <td>
                      <code>{r.readerId}</code>
                    </td>
                    <td>{r.remainingSlots}</td>
                    <td>{r.pendingOps}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {j.certificateIds.length > 0 ? (
            <p>
              {j.certificateIds.map((id) => (
                <Link key={id} to={`/compliance/certificates/${id}`}>
                  View certificate
                </Link>
              ))}
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

export function PreviewView({ customers }: { customers: Customer[] | undefined }) {
  const { api } = useSession();
  const { customerId = '' } = useParams();
  const navigate = useNavigate();
  const preview = useQuery({
    queryKey: keys.purgePreview(customerId),
    queryFn: () => api.get<PurgePreview>(`/compliance/customers/${customerId}/purge-preview`),
  });
  const [confirming, setConfirming] = useState(false);
  const customer = customers?.find((c) => c.id === customerId);
  const name = customer?.companyName ?? customerId;
  const p = preview.data;
  return (
    <section className="panel" aria-labelledby="preview-title">
      <p>
        <Link to="/compliance">← All purges</Link>
      </p>
      <h2 id="preview-title">Purge preview: {customer ? customerLabel(customer) : customerId}</h2>
      <ErrorNotice error={preview.error} />
      {preview.isPending ? <Loading /> : null}
      {p ? (
        <>
          <p>
            {p.due ? <Status tone="warn">Purge due</Status> : <Status tone="idle">Not due</Status>} Status <strong>{p.status}</strong>
            {p.dueAt ? ` · due ${formatTime(p.dueAt)}` : ' · no service end given'}
          </p>
          <dl className="compliance-counts" aria-label="What the purge would erase">
            <div>
              <dt>People</dt>
              <dd data-testid="preview-people">{p.people}</dd>
            </div>
            <div>
              <dt>Fingerprint templates</dt>
              <dd data-testid="preview-templates">{p.templates}</dd>
            </div>
            <div>
              <dt>Readers holding templates</dt>
              <dd data-testid="preview-readers">{p.readersHoldingTemplates}</dd>
            </div>
            <div>
              <dt>Access history events</dt>
              <dd data-testid="preview-history">{p.historyEvents}</dd>
            </div>
            <div>
              <dt>Active legal holds</dt>
              <dd data-testid="preview-holds">{p.legalHolds}</dd>
            </div>
            <div>
              <dt>Data key</dt>
              <dd>{p.dataKeyPresent ? 'present (destroyed by the purge)' : 'none'}</dd>
            </div>
          </dl>
          <p className="muted">History policy: {p.historyPolicy}.</p>
          {p.legalHolds > 0 ? (
            <p className="notice">A legal hold is active: the held parts are kept and erased after its release, with a new certificate.</p>
          ) : null}
          <button type="button" className="danger" onClick={() => setConfirming(true)}>
            Start purge…
          </button>
          {confirming ? (
            <ConfirmPurge
              customerName={name}
              contractRef={p.contractRef}
              customerId={customerId}
              onClose={() => setConfirming(false)}
              onStarted={(job) => navigate(`/compliance/jobs/${job.id}`)}
            />
          ) : null}
        </>
      ) : null}
    </section>
  );
}

/** Purging is irreversible: the officer types the contract reference, as for deleting a repository. */
function ConfirmPurge({
  customerName,
  contractRef,
  customerId,
  onClose,
  onStarted,
}: {
  customerName: string;
  contractRef: string;
  customerId: string;
  onClose: () => void;
  onStarted: (job: ErasureJob) => void;
}) {
  const { api } = useSession();
  const ref = useRef<HTMLDialogElement>(null);
  const [typed, setTyped] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const invalidate = useInvalidate();
  const purge = useMutation({
    mutationFn: () => api.post<ErasureJob>(`/compliance/customers/${customerId}/purge`),
    onSuccess: async (job) => {
      // The customer's status, what is due and the job list all change with a started purge.
      await invalidate(keys.customers(), keys.purgesDue(), keys.erasures(), keys.purgePreview(customerId));
      onStarted(job);
    },
  });
  const error = purge.error;
  const busy = purge.isPending;
  useEffect(() => {
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => d?.close();
  }, []);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    purge.reset();
    if (typed.trim() !== contractRef) {
      setMismatch(true);
      return;
    }
    setMismatch(false);
    purge.mutate();
  };
  return (
    <dialog ref={ref} className="compliance-dialog" aria-labelledby="confirm-purge-title" onCancel={onClose}>
      <form onSubmit={(e) => void submit(e)}>
        <h2 id="confirm-purge-title">Purge {customerName}?</h2>
        <p>
          Every person, fingerprint template and data key of <strong>{customerName}</strong> is erased, on the readers too. This cannot be undone.
        </p>
        <div className="field">
          <label htmlFor="confirm-purge-ref">
            Type the contract reference <code>{contractRef}</code> to confirm
          </label>
          <input
            id="confirm-purge-ref"
            value={typed}
            onChange={(e) => setTyped(e.target.value)}
            autoComplete="off"
            spellCheck={false}
            autoFocus
            aria-invalid={mismatch}
          />
        </div>
        {mismatch ? (
          <div className="notice notice-error" role="alert">
            That is not the contract reference of {customerName}: nothing was started.
          </div>
        ) : null}
        <ErrorNotice error={error} />
        <div className="compliance-dialog-actions">
          <button type="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={busy}>
            {busy ? 'Starting…' : 'Purge customer'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
