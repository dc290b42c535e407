import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../session';
import { openStream, type StreamState } from '../../sse';
import { ErrorNotice, ShortId, Status } from '../../ui';
import { fingerName } from '../people/model';
import { READER_TONE, failureText, promptText, readerLibrariesQuery, stepText, type EnrolChoice, type Enrolment, type ReaderLibrary } from './model';

/**
 * One guided enrolment: started here, then followed over the server's event stream. The stream
 * ends by design with the result, so it is not reopened; if it drops early the page falls back
 * to reading the enrolment until it finishes.
 */
export function EnrolmentRun({ choice, onClose }: { choice: EnrolChoice; onClose: (next: 'another' | 'done') => void }) {
  const { api } = useSession();
  const [attempt, setAttempt] = useState(1);
  const [view, setView] = useState<Enrolment | null>(null);
  const [startError, setStartError] = useState<unknown>(null);
  const [actionError, setActionError] = useState<unknown>(null);
  const [stream, setStream] = useState<StreamState>('connecting');
  const [cancelling, setCancelling] = useState(false);
  const started = useRef(0);

  useEffect(() => {
    // A ref, not state: React may run this effect twice for one attempt (StrictMode), and a second
    // POST would be refused as "reader busy" by the enrolment we just started.
    if (started.current === attempt) return;
    started.current = attempt;
    setView(null);
    setStartError(null);
    api.post<Enrolment>('/enrolments', { personId: choice.person.id, finger: choice.finger, readerId: choice.reader.readerId }).then(setView, setStartError);
  }, [api, attempt, choice]);

  const id = view?.id;
  useEffect(() => {
    if (!id) return;
    return openStream({
      url: `/enrolments/${id}/events`,
      headers: api.headers(),
      reconnect: false,
      onState: setStream,
      onEvent: (type, data) => {
        if (type === 'enrolment' && data && typeof data === 'object') setView(data as Enrolment);
      },
    });
  }, [id, api]);

  const running = view?.status === 'running';
  useEffect(() => {
    if (!id || !running || stream !== 'closed') return;
    const timer = setInterval(() => {
      api.get<Enrolment>(`/enrolments/${id}`).then(setView, setActionError);
    }, 1000);
    return () => clearInterval(timer);
  }, [api, id, running, stream]);

  const cancel = useCallback(async () => {
    if (!id) return;
    setCancelling(true);
    setActionError(null);
    try {
      setView(await api.post<Enrolment>(`/enrolments/${id}/cancel`));
    } catch (e) {
      setActionError(e);
    } finally {
      setCancelling(false);
    }
  }, [api, id]);

  const tone = !view || view.status === 'running' ? '' : view.status === 'enrolled' ? ' ok' : ' bad';
  const prompt = startError ? 'Enrolment could not start' : view ? promptText(view) : 'Starting…';
  const finished = view && view.status !== 'running';

  return (
    <div className="enrol-run">
      <section className="panel" aria-labelledby="run-title">
        <h2 id="run-title" className="run-title">
          {fingerName(choice.finger)} of <strong>{choice.person.fullName}</strong> ({choice.customer.companyName}) at {choice.reader.name}
          {attempt > 1 ? <span className="muted"> · attempt {attempt}</span> : null}
        </h2>
        {/* Assertive: the person at the desk acts on each prompt, a late announcement is a wrong one. */}
        <div className={`desk-prompt${tone}`} aria-live="assertive" aria-atomic="true" data-prompt={view?.prompt ?? ''} data-status={view?.status ?? ''}>
          {prompt}
        </div>
        {view ? (
          <div className="run-progress">
            <label htmlFor="enrol-progress">{stepText(view)}</label>
            <progress id="enrol-progress" max={100} value={Math.round(view.progress * 100)}>
              {Math.round(view.progress * 100)}%
            </progress>
          </div>
        ) : null}
        <ErrorNotice error={startError} />
        <ErrorNotice error={actionError} />
        {view && running ? (
          <div className="run-actions">
            <span className="muted">
              {stream === 'live' ? 'Following live' : stream === 'closed' ? 'Live updates lost; checking every second' : 'Connecting…'}
            </span>
            <button type="button" className="danger" onClick={() => void cancel()} disabled={cancelling}>
              {cancelling ? 'Cancelling…' : 'Cancel enrolment'}
            </button>
          </div>
        ) : null}
        {startError ? (
          <div className="run-actions">
            <button type="button" onClick={() => onClose('done')}>
              Back to the choices
            </button>
            <button type="button" className="primary" onClick={() => setAttempt((a) => a + 1)}>
              Try again
            </button>
          </div>
        ) : null}
      </section>
      {finished ? <Result view={view} choice={choice} onRetry={() => setAttempt((a) => a + 1)} onClose={onClose} /> : null}
    </div>
  );
}

function Result({
  view,
  choice,
  onRetry,
  onClose,
}: {
  view: Enrolment;
  choice: EnrolChoice;
  onRetry: () => void;
  onClose: (next: 'another' | 'done') => void;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  // The Cancel button the clerk may have used is gone: put focus where the next actions are.
  useEffect(() => heading.current?.focus(), []);
  if (view.status !== 'enrolled') {
    return (
      <section className="panel result result-bad" aria-labelledby="result-title">
        <h2 id="result-title" ref={heading} tabIndex={-1}>
          {view.status === 'cancelled' ? 'Cancelled' : view.status === 'refused' ? 'Refused' : 'Failed'}
        </h2>
        <p>
          {failureText(view.reason)} {view.reason ? <code className="code">{view.reason}</code> : null}
        </p>
        <div className="run-actions">
          <button type="button" onClick={() => onClose('done')}>
            Back to the choices
          </button>
          <button type="button" className="primary" onClick={onRetry}>
            Try again
          </button>
        </div>
      </section>
    );
  }
  return (
    <section className="panel result result-ok" aria-labelledby="result-title">
      <h2 id="result-title" ref={heading} tabIndex={-1}>
        Enrolled
      </h2>
      <p>
        {fingerName(choice.finger)} of {choice.person.fullName} is stored{view.quality !== null ? ` (match quality ${view.quality})` : ''}. Template record{' '}
        <ShortId id={view.templateId} />. It now goes to the door readers this person&apos;s grants cover.
      </p>
      <Distribution />
      <div className="run-actions">
        <Link to={`/people/${choice.customer.id}/${choice.person.id}`}>Open {choice.person.fullName}&apos;s record</Link>
        <button type="button" onClick={() => onClose('done')}>
          Enrol someone else
        </button>
        <button type="button" className="primary" onClick={() => onClose('another')}>
          Enrol another finger
        </button>
      </div>
    </section>
  );
}

const doorReaders = (list: ReaderLibrary[]) => list.filter((r) => r.role === 'door');

/** Door readers' libraries: what each must hold against what it confirmed, while the outbox works. */
function Distribution() {
  const { api } = useSession();
  const libraries = useQuery({ ...readerLibrariesQuery(api), select: doorReaders });
  const refetch = libraries.refetch;
  const pending = (libraries.data ?? []).some((r) => r.pendingOps > 0 || r.present < r.expected);
  const polls = useRef(0);
  useEffect(() => {
    // The new template is planned onto the door readers a moment after the enrolment ends: look a
    // few times even when the first answer shows nothing to do yet.
    if ((!pending && polls.current >= 3) || polls.current >= 15) return;
    const timer = setTimeout(() => {
      polls.current += 1;
      void refetch();
    }, 2000);
    return () => clearTimeout(timer);
    // dataUpdatedAt, not data: a read that finds nothing changed keeps the same data object.
  }, [pending, libraries.dataUpdatedAt, refetch]);
  if (!libraries.data || libraries.data.length === 0) return <ErrorNotice error={libraries.error} />;
  return (
    <>
      <h3>Door readers</h3>
      <table className="distribution">
        <caption className="people-sr-only">Templates on the door readers</caption>
        <thead>
          <tr>
            <th scope="col">Reader</th>
            <th scope="col">State</th>
            <th scope="col">Templates held / expected</th>
            <th scope="col">Pending changes</th>
          </tr>
        </thead>
        <tbody>
          {libraries.data.map((r) => {
            const state = READER_TONE[r.state] ?? { tone: 'idle' as const, label: r.state };
            return (
              <tr key={r.readerId}>
                <td>{r.name}</td>
                <td>
                  <Status tone={state.tone}>{state.label}</Status>
                </td>
                <td>
                  {r.present} / {r.expected}
                </td>
                <td>
                  {r.pendingOps > 0 ? (
                    <Status tone="warn">{r.pendingOps} pending</Status>
                  ) : r.failedOps > 0 ? (
                    <Status tone="bad">{r.failedOps} failed</Status>
                  ) : (
                    <Status tone="ok">up to date</Status>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
