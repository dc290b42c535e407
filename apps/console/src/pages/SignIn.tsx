import { useState, type FormEvent } from 'react';
import { useSessionState } from '../session';
import { ErrorNotice, Field } from '../ui';

/** Staff sign in with a bearer token from `acsctl staff:create` or POST /staff. */
export function SignIn() {
  const { signIn, notice } = useSessionState();
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signIn(token.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
        <h1 id="signin-title">Access control console</h1>
        <p className="muted">Sign in with your staff token. It is kept for this browser tab only.</p>
        {notice ? (
          <div className="notice" role="status">
            {notice}
          </div>
        ) : null}
        <ErrorNotice error={error} />
        <Field label="Staff token">
          {(id) => (
            <input id={id} name="token" type="password" autoComplete="off" required value={token} onChange={(e) => setToken(e.target.value)} autoFocus />
          )}
        </Field>
        <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
