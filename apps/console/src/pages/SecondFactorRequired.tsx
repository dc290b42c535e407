import { useState } from 'react';
import { useSessionState } from '../session';
import { ErrorNotice } from '../ui';
import { TotpSetup } from './security/TotpSetup';
import './Security.css';

/**
 * A staff member signed in with the right password but without a second factor, where the server
 * requires one (STAFF_TOTP_REQUIRED): the session may only enrol TOTP or sign out until then.
 */
export function SecondFactorRequired() {
  const { enrolment } = useSessionState();
  const [error, setError] = useState<unknown>(null);
  if (!enrolment) return null;
  const finish = () => {
    setError(null);
    enrolment.finish().catch(setError);
  };
  return (
    <main className="signin" id="main">
      <div className="signin-card signin-card-wide">
        <h1>Set up two-step sign-in</h1>
        <p>Your password is right. Staff accounts also need a code from an authenticator app on your phone; set it up now to open the console.</p>
        <ErrorNotice error={error} />
        <TotpSetup api={enrolment.api} startLabel="Show the QR code" onCsrf={enrolment.rotated} onFinished={finish} />
        <p className="signin-foot">
          <button type="button" className="link" onClick={() => void enrolment.signOut()}>
            Sign out
          </button>
        </p>
      </div>
    </main>
  );
}
