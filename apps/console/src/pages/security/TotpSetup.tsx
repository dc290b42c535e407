import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Api, Schemas } from '../../api';
import { ErrorNotice, Field } from '../../ui';

type Enrolment = Schemas['TotpEnrolmentView'];
type Enrolled = Schemas['TotpEnrolledView'];

/** The otpauth URI's secret in groups of four, for typing into an app that cannot scan (RFC 4648 base32 is case-insensitive). */
export function typedSecret(otpauthUri: string): string {
  let secret: string;
  try {
    secret = new URL(otpauthUri).searchParams.get('secret') ?? '';
  } catch {
    return '';
  }
  return (secret.match(/.{1,4}/g) ?? []).join(' ');
}

/**
 * TOTP enrolment: the server makes the secret and shows it once as a QR code (and the key to type
 * in); the first code from the app confirms it, and the answer holds the ten recovery codes, shown
 * here once. The confirmation rotates a browser session, so its new CSRF token goes to `onCsrf`.
 */
export function TotpSetup({
  api,
  startLabel,
  onCsrf,
  onFinished,
}: {
  api: Api;
  startLabel: string;
  onCsrf: (csrfToken: string | null) => void;
  onFinished: () => void;
}) {
  const [code, setCode] = useState('');
  const start = useMutation({ mutationFn: () => api.post<Enrolment>('/auth/totp/enrolment') });
  const confirm = useMutation({
    mutationFn: (c: string) => api.post<Enrolled>('/auth/totp/enrolment/confirm', { code: c }),
    onSuccess: (r) => onCsrf(r.csrfToken),
    onError: () => setCode(''),
  });
  const codesHeading = useRef<HTMLHeadingElement>(null);
  const recoveryCodes = confirm.data?.recoveryCodes;
  useEffect(() => {
    // The codes replace the form the focus was in: move it to them, so a screen reader reads them next.
    if (recoveryCodes) codesHeading.current?.focus();
  }, [recoveryCodes]);

  if (recoveryCodes) {
    return (
      <div className="totp-codes">
        <h3 id="recovery-title" ref={codesHeading} tabIndex={-1}>
          Two-step sign-in is set up. Store your recovery codes
        </h3>
        <p>
          If you lose your phone, each of these codes signs you in once instead of the app. They are shown only now: print them or keep them in your password
          manager, away from the phone.
        </p>
        <ul aria-label="Recovery codes" className="recovery-codes">
          {recoveryCodes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <button type="button" className="primary" onClick={onFinished}>
          I have stored these codes
        </button>
      </div>
    );
  }

  const enrolment = start.data;
  if (!enrolment) {
    return (
      <div>
        <p>
          Use an authenticator app on your phone (any app for time-based codes, RFC 6238). You scan a QR code with it, then enter the first code it shows to
          turn two-step sign-in on.
        </p>
        <ErrorNotice error={start.error} />
        <button type="button" className="primary" disabled={start.isPending} onClick={() => start.mutate()}>
          {start.isPending ? 'Preparing…' : startLabel}
        </button>
      </div>
    );
  }

  const submit = (e: FormEvent) => {
    e.preventDefault();
    confirm.mutate(code.trim());
  };
  return (
    <form className="totp-setup" onSubmit={submit} aria-label="Confirm two-step sign-in">
      <img className="totp-qr" src={enrolment.qrCodeDataUrl} alt="QR code to scan with your authenticator app" width={200} height={200} />
      <div>
        <ol className="totp-steps">
          <li>Scan the QR code with your authenticator app.</li>
          <li>
            Or, if the app cannot scan, type in this key: <code className="totp-key">{typedSecret(enrolment.otpauthUri)}</code>
          </li>
          <li>Enter the 6-digit code the app now shows.</li>
        </ol>
        <ErrorNotice error={confirm.error} />
        <Field label="Code from the app">
          {(id) => (
            <input
              id={id}
              name="code"
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
        <button type="submit" className="primary" disabled={confirm.isPending || code.trim() === ''}>
          {confirm.isPending ? 'Checking…' : 'Turn on two-step sign-in'}
        </button>
      </div>
    </form>
  );
}
