import type { Problem } from './api';

/** "15 minutes", "1 minute", "40 seconds": how long a lock-out lasts, from the problem's retryAfterSeconds. */
export function waitFor(seconds: unknown): string {
  const s = typeof seconds === 'number' && Number.isFinite(seconds) && seconds > 0 ? Math.ceil(seconds) : 0;
  if (s === 0) return 'a while';
  if (s < 60) return s === 1 ? '1 second' : `${s} seconds`;
  const m = Math.ceil(s / 60);
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/**
 * Sentences for the problems of signing in and of one's own password and second factor, where the
 * server's detail is written for API clients. They say no more than the code does: a wrong
 * password and an unknown username are one answer on the server, and so they are here.
 */
export function authMessage(p: Problem): string | null {
  switch (p.code) {
    case 'auth.bad_credentials':
      return 'The username or password is not correct.';
    case 'auth.account_locked':
      return `Too many failed attempts for this account. Try again in ${waitFor(p.retryAfterSeconds)}.`;
    case 'auth.rate_limited':
      return `Too many failed attempts from this network address. Try again in ${waitFor(p.retryAfterSeconds)}.`;
    case 'auth.totp_invalid':
      return 'The code is not valid or was already used. Enter the code your app shows now, or an unused recovery code.';
    case 'auth.cross_origin':
      return 'This form was sent from another site and was refused. Open the console from its own address.';
    case 'auth.session_expired':
      return 'Your session has ended. Sign in again.';
    case 'auth.oidc_not_configured':
      return 'Single sign-on is not set up on this server. Sign in with your username and password.';
    case 'auth.oidc_provider_unreachable':
      return 'The sign-in service could not be reached. Try again in a moment, or sign in with your username and password.';
    case 'auth.oidc_state_invalid':
      return 'That sign-in took too long, was already used or was started in another browser. Start it again.';
    case 'auth.oidc_unmapped_role':
      return 'Your account at the sign-in service is not in a group that gives access to this console. Ask an administrator.';
    case 'auth.oidc_account_disabled':
      return 'The staff account for this identity is disabled. Ask an administrator.';
    case 'auth.oidc_wrong_issuer':
    case 'auth.oidc_token_expired':
    case 'auth.oidc_nonce_mismatch':
    case 'auth.oidc_refused':
      return 'The sign-in service’s answer was refused. Start the sign-in again; if it keeps failing, tell an administrator the code shown.';
    case 'password.too_short':
      return typeof p.minLength === 'number' ? `The new password must have at least ${p.minLength} characters.` : 'The new password is too short.';
    case 'password.too_long':
      return 'The new password is too long.';
    case 'password.common':
      return 'The new password is on the list of commonly used passwords. Choose another one.';
    case 'password.same_as_username':
      return 'The new password must not contain your username.';
    case 'password.current_wrong':
      return 'The current password is not correct.';
    case 'password.reset_invalid':
      return 'This reset link is unknown, already used, replaced by a newer one or expired. Ask an administrator for a new one.';
    case 'totp.invalid_code':
      return 'The code does not match. Check that the phone’s clock is right and enter the code the app shows now.';
    case 'totp.already_enrolled':
      return 'Two-step sign-in is already on. Turn it off first to set up another app.';
    case 'totp.no_pending_enrolment':
      return 'Start the setup again: the QR code shown is no longer the one waiting for confirmation.';
    case 'auth.no_passkey':
      return 'This account has no passkey. Sign in with the code from your app instead.';
    case 'passkey.challenge_missing':
    case 'passkey.challenge_expired':
      return 'The passkey request is no longer valid (it was answered already or took too long). Try again.';
    case 'passkey.unknown_credential':
      return 'This passkey is not registered to your account. Use another passkey or the code from your app.';
    case 'passkey.counter_regression':
      return 'This passkey was refused: its authenticator may have been copied. Use another second factor and tell an administrator.';
    case 'passkey.origin_mismatch':
      return 'The passkey was used on another address than the console’s own. Open the console from its configured address.';
    case 'passkey.already_registered':
      return 'This passkey is already registered.';
    default:
      return null;
  }
}
