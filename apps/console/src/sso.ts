import { ApiError } from './api';

/**
 * Single sign-on ends with the server redirecting the browser to the console with the outcome in
 * the query: `sso=signed-in` (the session cookie is set) or `sso_error=<problem code>`. Read once
 * at load and removed from the address bar, so a reload or a bookmark does not repeat it.
 */
export interface SsoOutcome {
  signedIn: boolean;
  error: ApiError | null;
}

let taken: SsoOutcome | null = null;

export function takeSsoOutcome(): SsoOutcome {
  if (taken) return taken;
  const url = new URL(window.location.href);
  const signedIn = url.searchParams.get('sso') === 'signed-in';
  const code = url.searchParams.get('sso_error');
  // Only a problem-code shape is shown: the query is the address bar's, anyone can write into it.
  const error = code && /^auth\.oidc_[a-z_]{1,40}$/.test(code) ? new ApiError({ title: 'Single sign-on failed', status: 401, code }) : null;
  if (url.searchParams.has('sso') || url.searchParams.has('sso_error')) {
    url.searchParams.delete('sso');
    url.searchParams.delete('sso_error');
    window.history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  taken = { signedIn, error };
  return taken;
}

/** A refusal shown once: the sign-in page clears it when the person moves on. */
export function clearSsoError(): void {
  if (taken) taken = { ...taken, error: null };
}
