import { useMutation } from '@tanstack/react-query';
import { useEffect, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { Api, type Schemas } from '../api';
import { ErrorNotice, Field } from '../ui';

type PasswordChanged = Schemas['PasswordChangedView'];

/**
 * The reset link an administrator hands out carries the one-time token after `#`
 * (`/console/password-reset#acsr_…`): a fragment is never sent to the server, so the token stays
 * out of access logs and proxies, and the page takes it out of the address bar on arrival.
 */
export function tokenFromFragment(hash: string): string {
  return decodeURIComponent(hash.replace(/^#/, '').replace(/^token=/, '')).trim();
}

/** Sets a password with an administrator's one-time reset token (POST /auth/password-reset, no sign-in needed). */
export function PasswordResetPage() {
  const location = useLocation();
  const navigate = useNavigate();
  const [fromLink] = useState(() => tokenFromFragment(location.hash));
  const [token, setToken] = useState(fromLink);
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [mismatch, setMismatch] = useState(false);
  useEffect(() => {
    if (location.hash) void navigate({ pathname: location.pathname, search: location.search, hash: '' }, { replace: true });
  }, [location, navigate]);

  const reset = useMutation({
    mutationFn: (body: { token: string; newPassword: string }) => new Api({ kind: 'none' }).post<PasswordChanged>('/auth/password-reset', body),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(next !== repeat);
    if (next === repeat) reset.mutate({ token: token.trim(), newPassword: next });
  };

  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1>Set a new password</h1>
        {reset.isSuccess ? (
          <>
            <p className="notice notice-ok" role="status">
              Your password is set. Any session of your account that was still open has ended.
            </p>
            <p>
              <Link to="/">Sign in</Link> with your username and the new password.
            </p>
          </>
        ) : (
          <form onSubmit={submit} aria-label="Set a new password">
            <p className="muted">
              {fromLink ? 'Your reset link is valid once, for a limited time.' : 'Paste the reset token an administrator gave you.'} Choose a password of at
              least 12 characters (unless the server is set otherwise); a few unrelated words are easy to remember.
            </p>
            {mismatch ? (
              <div className="notice notice-error" role="alert">
                The two new passwords differ. Type the same one twice.
              </div>
            ) : (
              <ErrorNotice error={reset.error} />
            )}
            {fromLink ? null : (
              <Field label="Reset token">
                {(id) => (
                  <input id={id} name="token" type="password" autoComplete="off" required autoFocus value={token} onChange={(e) => setToken(e.target.value)} />
                )}
              </Field>
            )}
            <Field label="New password">
              {(id) => (
                <input
                  id={id}
                  type="password"
                  autoComplete="new-password"
                  required
                  autoFocus={fromLink !== ''}
                  value={next}
                  onChange={(e) => setNext(e.target.value)}
                />
              )}
            </Field>
            <Field label="Repeat the new password">
              {(id) => <input id={id} type="password" autoComplete="new-password" required value={repeat} onChange={(e) => setRepeat(e.target.value)} />}
            </Field>
            <div className="signin-actions">
              <button type="submit" className="primary" disabled={reset.isPending}>
                {reset.isPending ? 'Setting…' : 'Set password'}
              </button>
              <Link to="/">Back to sign-in</Link>
            </div>
          </form>
        )}
      </div>
    </main>
  );
}
