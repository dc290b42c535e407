import { useEffect, useRef, useState, type FormEvent } from 'react';
import { Api, ApiError, type Schemas } from '../api';
import { passkeyAssertion } from '../passkeys';
import { useSessionState } from '../session';
import { clearSsoError, takeSsoOutcome } from '../sso';
import { ErrorNotice, Field } from '../ui';

/**
 * The console's front door. People sign in with username and password (and, once enrolled, the
 * code of their authenticator app or a recovery code), which gives the browser a session cookie;
 * automation users and the browser tests may still sign in with a staff bearer token.
 */
export function SignIn() {
  const { notice } = useSessionState();
  const [withToken, setWithToken] = useState(false);
  return (
    <main className="signin" id="main">
      <div className="signin-card">
        <h1 id="signin-title">Access control console</h1>
        {notice ? (
          <div className="notice" role="status">
            {notice}
          </div>
        ) : null}
        {withToken ? <TokenSignIn onPassword={() => setWithToken(false)} /> : <PasswordSignIn onToken={() => setWithToken(true)} />}
        {withToken ? null : <SingleSignOn />}
      </div>
    </main>
  );
}

type SecondFactor = 'totp' | 'recovery' | 'passkey';

function PasswordSignIn({ onToken }: { onToken: () => void }) {
  const { signInWithPassword } = useSessionState();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  // Set once the server has said the password is right and the account has a second factor.
  const [second, setSecond] = useState<SecondFactor | null>(null);
  // The account's second factors, from the server's answer (`factors`): a passkey is offered only where there is one.
  const [factors, setFactors] = useState<string[]>([]);
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const passwordInput = useRef<HTMLInputElement>(null);
  const [refocus, setRefocus] = useState(0);
  useEffect(() => {
    // After a refused password the field is empty and has the focus again, ready for the retry.
    if (refocus > 0) passwordInput.current?.focus();
  }, [refocus]);

  const refused = (err: unknown) => {
    setError(err);
    const problem = err instanceof ApiError ? err.code : '';
    if (problem === 'auth.bad_credentials' || problem === 'auth.account_locked') {
      setSecond(null);
      setPassword('');
      setRefocus((n) => n + 1);
    }
  };

  const signInWithPasskey = async () => {
    setBusy(true);
    setError(null);
    try {
      await signInWithPassword(await passkeyAssertion(username.trim(), password), '/auth/sign-in/passkey');
    } catch (err) {
      refused(err);
    } finally {
      setBusy(false);
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (second === 'passkey') return signInWithPasskey();
    setBusy(true);
    setError(null);
    try {
      const factor = second === 'totp' ? { totpCode: code.trim() } : second === 'recovery' ? { recoveryCode: code.trim() } : {};
      await signInWithPassword({ username: username.trim(), password, ...factor });
    } catch (err) {
      const problem = err instanceof ApiError ? err.code : '';
      if (problem === 'auth.totp_required' || problem === 'auth.passkey_required') {
        // Not an error: the next step of the same sign-in.
        const offered = err instanceof ApiError && Array.isArray(err.problem.factors) ? (err.problem.factors as string[]) : ['totp'];
        setFactors(offered);
        setSecond(problem === 'auth.passkey_required' ? 'passkey' : 'totp');
        setCode('');
      } else {
        setError(err);
        if (problem === 'auth.bad_credentials' || problem === 'auth.account_locked') {
          setSecond(null);
          setPassword('');
          setRefocus((n) => n + 1);
        }
        if (problem === 'auth.totp_invalid') setCode('');
      }
    } finally {
      setBusy(false);
    }
  };

  const startOver = () => {
    setSecond(null);
    setFactors([]);
    setPassword('');
    setCode('');
    setError(null);
    setRefocus((n) => n + 1);
  };

  if (second === 'passkey') {
    return (
      <form onSubmit={(e) => void submit(e)} aria-labelledby="second-title">
        <h2 id="second-title">Two-step sign-in</h2>
        <p className="muted">Confirm with the passkey of {username.trim()}: on this device, a phone or a security key, as your browser offers.</p>
        <ErrorNotice error={error} />
        <div className="signin-actions">
          <button type="submit" className="primary" disabled={busy} autoFocus>
            {busy ? 'Waiting for the passkey…' : 'Use a passkey'}
          </button>
          {factors.includes('totp') ? (
            <button
              type="button"
              className="link"
              onClick={() => {
                setSecond('totp');
                setError(null);
              }}
            >
              Use the code from the app
            </button>
          ) : null}
          <button type="button" className="link" onClick={startOver}>
            Start over
          </button>
        </div>
      </form>
    );
  }

  if (second) {
    return (
      <form onSubmit={(e) => void submit(e)} aria-labelledby="second-title">
        <h2 id="second-title">Two-step sign-in</h2>
        <p className="muted" id="second-help">
          {second === 'totp'
            ? `Enter the 6-digit code your authenticator app shows for ${username.trim()}.`
            : 'Enter one of the recovery codes you stored when you set up two-step sign-in. Each works once.'}
        </p>
        <ErrorNotice error={error} />
        {second === 'totp' ? (
          <Field label="Authentication code" key="totp">
            {(id) => (
              <input
                id={id}
                name="totpCode"
                aria-describedby="second-help"
                inputMode="numeric"
                autoComplete="one-time-code"
                pattern="[0-9]{6}"
                maxLength={6}
                required
                autoFocus
                value={code}
                onChange={(e) => setCode(e.target.value.replace(/\s/g, ''))}
              />
            )}
          </Field>
        ) : (
          <Field label="Recovery code" hint="Four groups of four letters and digits, e.g. 1a2b-3c4d-5e6f-7a8b" key="recovery">
            {(id) => (
              <input
                id={id}
                name="recoveryCode"
                aria-describedby="second-help"
                autoComplete="off"
                spellCheck={false}
                required
                autoFocus
                value={code}
                onChange={(e) => setCode(e.target.value)}
              />
            )}
          </Field>
        )}
        <div className="signin-actions">
          <button type="submit" className="primary" disabled={busy || code.trim() === ''}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <button
            type="button"
            className="link"
            onClick={() => {
              setSecond(second === 'totp' ? 'recovery' : 'totp');
              setCode('');
              setError(null);
            }}
          >
            {second === 'totp' ? 'Use a recovery code instead' : 'Use the code from the app'}
          </button>
          {factors.includes('passkey') ? (
            <button
              type="button"
              className="link"
              onClick={() => {
                setSecond('passkey');
                setError(null);
              }}
            >
              Use a passkey instead
            </button>
          ) : null}
          <button type="button" className="link" onClick={startOver}>
            Start over
          </button>
        </div>
      </form>
    );
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
      <p className="muted">Sign in with your staff username and password.</p>
      <ErrorNotice error={error} />
      <Field label="Username">
        {(id) => (
          <input
            id={id}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            autoFocus
            value={username}
            onChange={(e) => setUsername(e.target.value)}
          />
        )}
      </Field>
      <Field label="Password">
        {(id) => (
          <input
            id={id}
            ref={passwordInput}
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      <div className="signin-actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <button type="button" className="link" onClick={onToken}>
          Use an API token
        </button>
      </div>
      <p className="muted signin-foot">Forgot your password? An administrator can give you a one-time link to set a new one.</p>
    </form>
  );
}

/** Staff sign-in with a bearer token from `acsctl staff:create` or POST /staff (automation users). */
function TokenSignIn({ onPassword }: { onPassword: () => void }) {
  const { signInWithToken } = useSessionState();
  const [token, setToken] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signInWithToken(token.trim());
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="signin-title">
      <p className="muted">Sign in with a staff API token. It is kept for this browser tab only.</p>
      <ErrorNotice error={error} />
      <Field label="Staff token">
        {(id) => <input id={id} name="token" type="password" autoComplete="off" required value={token} onChange={(e) => setToken(e.target.value)} autoFocus />}
      </Field>
      <div className="signin-actions">
        <button type="submit" className="primary" disabled={busy || token.trim() === ''}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <button type="button" className="link" onClick={onPassword}>
          Use a username and password
        </button>
      </div>
    </form>
  );
}

type OidcOptions = Schemas['OidcOptionsView'];

/**
 * "Sign in with …" when the server offers single sign-on. A plain link, not a fetch: the browser
 * itself goes to the provider and comes back to the console with the session cookie set (or
 * with the refusal's code, shown here).
 */
function SingleSignOn() {
  const [options, setOptions] = useState<OidcOptions | null>(null);
  const [error] = useState(() => takeSsoOutcome().error);
  useEffect(() => {
    let live = true;
    new Api({ kind: 'none' }).get<OidcOptions>('/auth/oidc').then(
      (o) => live && setOptions(o),
      () => undefined,
    );
    return () => {
      live = false;
      clearSsoError();
    };
  }, []);
  if (!options?.enabled && !error) return null;
  return (
    <div className="signin-sso">
      <ErrorNotice error={error} />
      {options?.enabled && options.startUrl ? (
        <a className="button" href={options.startUrl}>
          Sign in with {options.displayName}
        </a>
      ) : null}
    </div>
  );
}
