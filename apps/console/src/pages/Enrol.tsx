import { useQuery } from '@tanstack/react-query';
import { useEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';
import { useSession } from '../session';
import { keys, useInvalidate } from '../queries';
import { Empty, ErrorNotice, Field, Loading, PageHeader, Status } from '../ui';
import { customersQuery, peopleQuery } from './history/records';
import { EnrolmentRun } from './enrol/EnrolmentRun';
import { FingerPicker } from './enrol/FingerPicker';
import { READER_TONE, readerLibrariesQuery, type EnrolChoice, type ReaderLibrary } from './enrol/model';
import { fingerName, searchable, type Customer, type Fingerprint, type Person } from './people/model';
import './Enrol.css';

const STEPS = ['Person', 'Finger', 'Desk reader'] as const;
const enrolmentReaders = (list: ReaderLibrary[]) => list.filter((r) => r.role === 'enrolment');

/**
 * The enrolment desk: who, which finger, which desk reader, then the guided captures. Customer
 * and person may be preselected by id from the People page (?customerId=&personId=); names never
 * go into the URL.
 */
export function EnrolPage() {
  const { api } = useSession();
  const [params] = useSearchParams();
  const [step, setStep] = useState(0);
  const [customerId, setCustomerId] = useState(params.get('customerId') ?? '');
  const [personId, setPersonId] = useState(params.get('personId') ?? '');
  const [finger, setFinger] = useState<number | null>(null);
  const [readerId, setReaderId] = useState('');
  const [running, setRunning] = useState<EnrolChoice | null>(null);
  const [nameFilter, setNameFilter] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  const moved = useRef(false);
  useEffect(() => {
    // Keyboard and screen-reader users land on the new step's question, not on a vanished button.
    if (moved.current) heading.current?.focus();
    moved.current = true;
  }, [step]);

  const invalidate = useInvalidate();
  const customers = useQuery(customersQuery<Customer>(api));
  const people = useQuery(peopleQuery<Person>(api, customerId));
  const fingers = useQuery({
    queryKey: keys.fingerprints(personId),
    queryFn: ({ signal }) => (personId ? api.get<Fingerprint[]>(`/people/${personId}/fingerprints`, undefined, signal) : Promise.resolve([])),
  });
  const readers = useQuery({ ...readerLibrariesQuery(api), select: enrolmentReaders });

  const customer = customers.data?.find((c) => c.id === customerId);
  const person = people.data?.find((p) => p.id === personId);
  const reader = readers.data?.find((r) => r.readerId === readerId);
  const shownPeople = useMemo(() => {
    const needle = searchable(nameFilter.trim());
    return (people.data ?? []).filter((p) => !needle || searchable(p.fullName).includes(needle) || p.id === personId);
  }, [people.data, nameFilter, personId]);
  const enrolled = useMemo(() => new Set((fingers.data ?? []).map((f) => f.finger)), [fingers.data]);
  const complete = [Boolean(customer && person), finger !== null, Boolean(reader)];

  if (running) {
    return (
      <>
        <PageHeader title="Enrolment" />
        <EnrolmentRun
          choice={running}
          onClose={(next) => {
            setRunning(null);
            if (next === 'another') {
              setFinger(null);
              setStep(1);
            } else setStep(0);
            // The run stored a template: the person's fingers and the readers' libraries changed.
            void invalidate(keys.fingerprints(running.person.id), keys.readerLibraries());
          }}
        />
      </>
    );
  }

  return (
    <>
      <PageHeader title="Enrolment" />
      <ol className="wizard-steps" aria-label="Enrolment steps">
        {STEPS.map((label, i) => (
          <li key={label} aria-current={i === step ? 'step' : undefined} className={i === step ? 'current' : complete[i] ? 'done' : ''}>
            <span className="wizard-num" aria-hidden="true">
              {complete[i] && i !== step ? '✓' : i + 1}
            </span>{' '}
            {label}
            {complete[i] && i !== step ? <span className="people-sr-only"> (done)</span> : null}
          </li>
        ))}
      </ol>

      {step === 0 ? (
        <section className="panel wizard-panel" aria-labelledby="step-person">
          <h2 id="step-person" ref={heading} tabIndex={-1}>
            Step 1 of 3: who is enrolling?
          </h2>
          <ErrorNotice error={customers.error} />
          <div className="filters">
            <Field label="Customer">
              {(id) => (
                <select
                  id={id}
                  value={customerId}
                  onChange={(e) => {
                    setCustomerId(e.target.value);
                    setPersonId('');
                    setFinger(null);
                  }}
                >
                  <option value="">Choose a customer…</option>
                  {(customers.data ?? [])
                    .filter((c) => c.status !== 'purged')
                    .map((c) => (
                      <option key={c.id} value={c.id}>
                        {c.companyName} ({c.contractRef})
                      </option>
                    ))}
                </select>
              )}
            </Field>
            {customerId ? (
              <Field label="Find person by name">
                {(id) => <input id={id} type="search" autoComplete="off" value={nameFilter} onChange={(e) => setNameFilter(e.target.value)} />}
              </Field>
            ) : null}
            {customerId ? (
              <Field label="Person">
                {(id) => (
                  <select
                    id={id}
                    value={personId}
                    onChange={(e) => {
                      setPersonId(e.target.value);
                      setFinger(null);
                    }}
                  >
                    <option value="">Choose a person…</option>
                    {shownPeople.map((p) => (
                      <option key={p.id} value={p.id}>
                        {p.fullName}
                        {p.status !== 'active' ? ` (${p.status})` : ''}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            ) : null}
          </div>
          <ErrorNotice error={people.error} />
          {customerId && people.data && people.data.length === 0 ? <Empty>This customer has no people. Add them on the People page first.</Empty> : null}
          {person && fingers.data ? (
            <p className="enrolled-summary">
              {fingers.data.length === 0
                ? `${person.fullName} has no finger enrolled yet.`
                : `Already enrolled: ${fingers.data.map((f) => fingerName(f.finger)).join(', ')}.`}
            </p>
          ) : null}
          {person && person.status !== 'active' ? (
            <p className="notice" role="status">
              {person.fullName} is {person.status}: enrolment works, but the finger opens no door until the status is active again.
            </p>
          ) : null}
          <WizardNav onNext={() => setStep(1)} nextDisabled={!complete[0]} />
        </section>
      ) : null}

      {step === 1 ? (
        <section className="panel wizard-panel" aria-labelledby="step-finger">
          <h2 id="step-finger" ref={heading} tabIndex={-1}>
            Step 2 of 3: which finger of {person?.fullName ?? 'the person'}?
          </h2>
          <ErrorNotice error={fingers.error} />
          {fingers.isPending ? <Loading what="Loading enrolled fingers" /> : null}
          <FingerPicker value={finger} enrolled={enrolled} onChange={setFinger} />
          {finger !== null && enrolled.has(finger) ? (
            <p className="notice" role="status">
              This finger is already enrolled. Enrolling it again replaces the stored template.
            </p>
          ) : null}
          <WizardNav onBack={() => setStep(0)} onNext={() => setStep(2)} nextDisabled={!complete[1]} />
        </section>
      ) : null}

      {step === 2 ? (
        <section className="panel wizard-panel" aria-labelledby="step-reader">
          <div className="panel-head">
            <h2 id="step-reader" ref={heading} tabIndex={-1}>
              Step 3 of 3: at which desk reader?
            </h2>
            <button type="button" onClick={() => void readers.refetch()} disabled={readers.isFetching}>
              Refresh readers
            </button>
          </div>
          <ErrorNotice error={readers.error} />
          {readers.isPending ? <Loading what="Loading desk readers" /> : null}
          {readers.data && readers.data.length === 0 ? <Empty>No reader has the enrolment role. An administrator sets it on the reader.</Empty> : null}
          {readers.data && readers.data.length > 0 ? (
            <fieldset className="reader-choice">
              <legend>Desk reader</legend>
              {readers.data.map((r) => {
                const state = READER_TONE[r.state] ?? { tone: 'idle' as const, label: r.state };
                return (
                  <label key={r.readerId} className={`reader-option${readerId === r.readerId ? ' selected' : ''}`}>
                    <input type="radio" name="reader" value={r.readerId} checked={readerId === r.readerId} onChange={() => setReaderId(r.readerId)} />
                    <span className="reader-name">{r.name}</span>
                    <Status tone={state.tone}>{state.label}</Status>
                  </label>
                );
              })}
            </fieldset>
          ) : null}
          {reader && reader.state !== 'ready' ? (
            <p className="notice notice-error" role="alert">
              {reader.name} is not online ({READER_TONE[reader.state]?.label ?? reader.state}); the server will refuse to start until it is.
            </p>
          ) : null}
          <WizardNav
            onBack={() => setStep(1)}
            nextLabel="Start enrolment"
            nextDisabled={!complete[2] || !customer || !person || finger === null}
            onNext={() => customer && person && reader && finger !== null && setRunning({ customer, person, finger, reader })}
          />
        </section>
      ) : null}
    </>
  );
}

function WizardNav({
  onBack,
  onNext,
  nextDisabled,
  nextLabel = 'Next',
}: {
  onBack?: () => void;
  onNext: () => void;
  nextDisabled: boolean;
  nextLabel?: string;
}) {
  return (
    <div className="wizard-nav">
      {onBack ? (
        <button type="button" onClick={onBack}>
          Back
        </button>
      ) : (
        <span />
      )}
      <button type="button" className="primary" disabled={nextDisabled} onClick={onNext}>
        {nextLabel}
      </button>
    </div>
  );
}
