import { useMutation, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import type { Schemas } from '../api';
import { keys, useInvalidate } from '../queries';
import { useSession } from '../session';
import { Empty, ErrorNotice, Field, formatTime, Loading, PageHeader, Status } from '../ui';
import { NotificationsPanel } from './security/Notifications';
import { PasskeysPanel } from './security/Passkeys';
import { TotpSetup } from './security/TotpSetup';
import './Security.css';

type TotpStatus = Schemas['TotpStatusView'];
type SessionView = Schemas['SessionView'];
type PasswordChanged = Schemas['PasswordChangedView'];
type SignedOut = Schemas['SignedOutView'];

/** The signed-in staff member's own sign-in: password, second factor and browser sessions. */
export function SecurityPage() {
  const { principal } = useSession();
  return (
    <>
      <PageHeader title="Security" />
      <p className="muted">Your own sign-in to this console. An administrator can reset a forgotten password or remove the second factor of a lost phone.</p>
      <PasswordPanel />
      <TotpPanel />
      <OwnPasskeys />
      <SessionsPanel />
      {principal.role === 'customer_admin' ? <NotificationsPanel /> : null}
    </>
  );
}

function PasswordPanel() {
  const { api, via, refreshCsrf } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  const invalidate = useInvalidate();
  const change = useMutation({
    mutationFn: (body: { currentPassword: string; newPassword: string }) => api.post<PasswordChanged>('/auth/password', body),
    onSuccess: async () => {
      setCurrent('');
      setNext('');
      setRepeat('');
      // The server rotated the session (new cookie, new CSRF token) and ended the others.
      if (via === 'password') await refreshCsrf();
      await invalidate(keys.ownSessions());
    },
  });

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(next !== repeat);
    if (next === repeat) change.mutate({ currentPassword: current, newPassword: next });
  };
  const done = change.data;
  return (
    <form className="panel" onSubmit={submit} aria-labelledby="password-title">
      <h2 id="password-title">Password</h2>
      <p className="muted">
        At least 12 characters unless the server is set otherwise; a few unrelated words are easy to remember. Common passwords and ones containing your
        username are refused.
      </p>
      {mismatch ? (
        <div className="notice notice-error" role="alert">
          The two new passwords differ. Type the same one twice.
        </div>
      ) : (
        <ErrorNotice error={change.error} />
      )}
      {done && !change.isPending ? (
        <p className="notice notice-ok" role="status">
          Your password is changed.
          {done.revokedSessions > 0 ? ` ${done.revokedSessions} other ${done.revokedSessions === 1 ? 'session was' : 'sessions were'} signed out.` : ''}
        </p>
      ) : null}
      <div className="grid-3">
        <Field label="Current password">
          {(id) => <input id={id} type="password" autoComplete="current-password" required value={current} onChange={(e) => setCurrent(e.target.value)} />}
        </Field>
        <Field label="New password">
          {(id) => <input id={id} type="password" autoComplete="new-password" required value={next} onChange={(e) => setNext(e.target.value)} />}
        </Field>
        <Field label="Repeat the new password">
          {(id) => <input id={id} type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />}
        </Field>
      </div>
      <button type="submit" className="primary" disabled={change.isPending}>
        {change.isPending ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}

function TotpPanel() {
  const { api, rotated } = useSession();
  const invalidate = useInvalidate();
  const status = useQuery({ queryKey: keys.ownTotp(), queryFn: ({ signal }) => api.get<TotpStatus>('/auth/totp', undefined, signal) });
  return (
    <section className="panel" aria-labelledby="totp-title">
      <h2 id="totp-title">Two-step sign-in</h2>
      <ErrorNotice error={status.error} />
      {status.isPending ? <Loading what="Reading your second factor" /> : null}
      {status.data ? (
        <p>
          <Status tone={status.data.enrolled ? 'ok' : 'warn'}>{status.data.enrolled ? 'Two-step sign-in is on' : 'Two-step sign-in is off'}</Status>{' '}
          {status.data.enrolled
            ? 'Signing in asks for the code of your authenticator app after the password.'
            : 'Signing in asks for the password only. Add a code from your phone, so a stolen password alone is not enough.'}
        </p>
      ) : null}
      {status.data?.enrolled === false ? (
        <TotpSetup api={api} startLabel="Set up two-step sign-in" onCsrf={rotated} onFinished={() => void invalidate(keys.ownTotp())} />
      ) : null}
      {status.data?.enrolled ? <TurnOffTotp /> : null}
    </section>
  );
}

function TurnOffTotp() {
  const { api } = useSession();
  const invalidate = useInvalidate();
  const [code, setCode] = useState('');
  const off = useMutation({
    // Six digits are a code of the app; anything else is taken for a recovery code.
    mutationFn: (c: string) => api.post<TotpStatus>('/auth/totp/disable', /^\d{6}$/.test(c) ? { code: c } : { recoveryCode: c }),
    onSuccess: () => invalidate(keys.ownTotp()),
    onError: () => setCode(''),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    off.mutate(code.trim());
  };
  return (
    <form onSubmit={submit} aria-labelledby="totp-off-title">
      <h3 id="totp-off-title">Turn it off</h3>
      <p className="muted">Before a new phone: turn it off with a code, then set it up again on the new phone.</p>
      <ErrorNotice error={off.error} />
      <div className="filters">
        <Field label="Code from the app or a recovery code">
          {(id) => <input id={id} autoComplete="one-time-code" spellCheck={false} required value={code} onChange={(e) => setCode(e.target.value)} />}
        </Field>
        <button type="submit" className="danger" disabled={off.isPending || code.trim() === ''}>
          Turn off two-step sign-in
        </button>
      </div>
    </form>
  );
}

function OwnPasskeys() {
  const { api, via, rotated } = useSession();
  return <PasskeysPanel api={api} onCsrf={rotated} sessionCookie={via === 'password'} />;
}

function SessionsPanel() {
  const { api, via, signOut } = useSession();
  const invalidate = useInvalidate();
  const sessions = useQuery({ queryKey: keys.ownSessions(), queryFn: ({ signal }) => api.get<SessionView[]>('/auth/sessions', undefined, signal) });
  const end = useMutation({
    mutationFn: (id: string) => api.delete<void>(`/auth/sessions/${id}`),
    onSuccess: () => invalidate(keys.ownSessions()),
  });
  const everywhere = useMutation({
    mutationFn: () => api.post<SignedOut>('/auth/sign-out-everywhere'),
    onSuccess: async () => {
      if (via === 'password') await signOut('You have signed out everywhere.');
      else await invalidate(keys.ownSessions());
    },
  });
  return (
    <section className="panel" aria-labelledby="sessions-title">
      <h2 id="sessions-title">Browser sessions</h2>
      <p className="muted">
        Where you are signed in with your password. A session ends after a while without use, and at the latest a fixed time after sign-in.
        {via === 'token' ? ' This tab is signed in with an API token, which is not a browser session.' : ''}
      </p>
      <ErrorNotice error={sessions.error ?? end.error ?? everywhere.error} />
      {sessions.isPending ? <Loading what="Loading sessions" /> : null}
      {sessions.data && sessions.data.length === 0 ? <Empty>No browser session is open.</Empty> : null}
      {sessions.data && sessions.data.length > 0 ? (
        <div className="table-wrap">
          <table>
            <caption className="security-sr-only">Your browser sessions</caption>
            <thead>
              <tr>
                <th scope="col">Signed in</th>
                <th scope="col">Last used</th>
                <th scope="col">Ends at the latest</th>
                <th scope="col">
                  <span className="security-sr-only">Action</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.data.map((s) => (
                <tr key={s.id}>
                  <td>{formatTime(s.createdAt)}</td>
                  <td>{formatTime(s.lastSeenAt)}</td>
                  <td>{formatTime(s.expiresAt)}</td>
                  <td>
                    {s.current ? (
                      <Status tone="info">This session</Status>
                    ) : (
                      <button
                        type="button"
                        disabled={end.isPending}
                        onClick={() => end.mutate(s.id)}
                        aria-label={`End the session signed in ${formatTime(s.createdAt)}`}
                      >
                        End
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p>
        <button type="button" disabled={everywhere.isPending || (sessions.data?.length ?? 0) === 0} onClick={() => everywhere.mutate()}>
          Sign out everywhere
        </button>
      </p>
    </section>
  );
}
