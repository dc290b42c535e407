import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Api, ApiError, type Schemas } from './api';
import { takeSsoOutcome } from './sso';

type PrincipalView = Schemas['PrincipalView'];
/** A staff role, or `customer_admin` (a customer's own administrator, who sees only that customer's pages). */
export type StaffRole = NonNullable<PrincipalView['role']>;
/**
 * GET /auth/me for a person the console serves: a staff member, or a customer administrator
 * (kind `customer`, with its `customerId`); these members are always there.
 */
export type StaffPrincipal = Required<Pick<PrincipalView, 'staffId' | 'role' | 'tokenId'>> &
  ({ kind: 'staff'; customerId?: undefined } | { kind: 'customer'; customerId: string });
export type SignInBody = Schemas['SignInDto'];
type SignedInView = Schemas['SignedInView'];
type CurrentSessionView = Schemas['CurrentSessionView'];

/** How the console signed in: a person's password (browser session cookie) or an automation user's bearer token. */
export type SignedVia = 'password' | 'token';

export interface Session {
  /** New for every sign-in: the shell, and with it the query cache, is made anew for each. */
  key: number;
  via: SignedVia;
  principal: StaffPrincipal;
  api: Api;
  /** Ends the browser session on the server (a password sign-in) and forgets the sign-in here; `reason` shows on the sign-in page. */
  signOut: (reason?: string) => Promise<void>;
  /** Takes the CSRF token of a session the server has just rotated (null: nothing to take). */
  rotated: (csrfToken: string | null) => void;
  /** Reads the session's CSRF token again, after a rotation whose response does not carry it (a password change). */
  refreshCsrf: () => Promise<void>;
}

/** A password sign-in of an account that must enrol TOTP first (STAFF_TOTP_REQUIRED): only the enrolment and sign-out work. */
export interface PendingEnrolment {
  api: Api;
  signOut: (reason?: string) => Promise<void>;
  rotated: (csrfToken: string | null) => void;
  /** Once the enrolment is confirmed: reads who is signed in and opens the console. */
  finish: () => Promise<void>;
}

interface SessionState {
  session: Session | null;
  enrolment: PendingEnrolment | null;
  notice: string | null;
  /** Posts to /auth/sign-in, or to `path` (the passkey step, /auth/sign-in/passkey), and opens the session it sets. */
  signInWithPassword: (body: SignInBody | Schemas['PasskeySignInDto'], path?: string) => Promise<void>;
  signInWithToken: (token: string) => Promise<void>;
}

/** A sign-in as held between renders. The CSRF token sits in a holder that a rotation updates in place (see ApiAuth). */
export type Signed =
  | { via: 'token'; key: number; token: string; principal: StaffPrincipal }
  | { via: 'password'; key: number; csrf: { token: string }; principal: StaffPrincipal | null };

/**
 * A bearer token lives in sessionStorage: it survives a reload of the desk tab but not the
 * closing of the browser, and is never put in a URL. A password sign-in keeps nothing secret in
 * the page's reach: the session is the httpOnly cookie, and the CSRF token is read again from
 * GET /auth/session after a reload. The page cannot see whether that cookie exists, so it keeps
 * a flag (no secret) saying a session was opened, and asks the server only then: a visitor who
 * never signed in does not get a 401 on every load. Roles come from the server (/auth/me); the
 * pages a role sees mirror the API's own policies, which stay the real gate.
 */
const TOKEN_KEY = 'acs.console.token';
const SESSION_FLAG = 'acs.console.session';
const SIGNED_OUT = 'You have signed out.';
const Ctx = createContext<SessionState | null>(null);
let signIns = 0;

export function SessionProvider({ children, initial }: { children: ReactNode; initial: Signed | null }) {
  const [current, setCurrent] = useState(initial);
  const [notice, setNotice] = useState<string | null>(null);

  const forget = useCallback((reason: string | null) => {
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(SESSION_FLAG);
    setCurrent(null);
    setNotice(reason);
  }, []);

  const signInWithToken = useCallback(async (token: string) => {
    const principal = await whoAmI(new Api({ kind: 'token', token }));
    sessionStorage.setItem(TOKEN_KEY, token);
    localStorage.removeItem(SESSION_FLAG);
    setNotice(null);
    setCurrent({ via: 'token', key: ++signIns, token, principal });
  }, []);

  const signInWithPassword = useCallback(async (body: SignInBody | Schemas['PasskeySignInDto'], path = '/auth/sign-in') => {
    // An Api without the 401 handler: a refused sign-in is the form's error, not an ended session.
    const signed = await new Api({ kind: 'none' }).post<SignedInView>(path, body);
    localStorage.setItem(SESSION_FLAG, '1');
    sessionStorage.removeItem(TOKEN_KEY);
    const next = await openedSession(signed.csrfToken, signed.state);
    setNotice(null);
    setCurrent(next);
  }, []);

  const value = useMemo<SessionState>(() => {
    if (!current) return { session: null, enrolment: null, notice, signInWithPassword, signInWithToken };
    const ended =
      current.via === 'token'
        ? 'Your session has ended (token expired or revoked). Sign in again.'
        : 'Your session has ended (signed out elsewhere, idle too long or revoked). Sign in again.';
    const auth = current.via === 'token' ? ({ kind: 'token', token: current.token } as const) : ({ kind: 'session', csrf: current.csrf } as const);
    const api = new Api(auth, () => forget(ended));
    const signOut = async (reason?: string) => {
      // The server ends the session first; if that fails (already ended, offline) it is forgotten here all the same.
      if (current.via === 'password') await api.post('/auth/sign-out').catch(() => undefined);
      forget(reason ?? SIGNED_OUT);
    };
    const rotated = (csrfToken: string | null) => {
      if (csrfToken !== null && current.via === 'password') current.csrf.token = csrfToken;
    };
    if (current.via === 'password' && current.principal === null) {
      const finish = async () => setCurrent({ ...current, key: ++signIns, principal: await whoAmI(api) });
      return { session: null, enrolment: { api, signOut, rotated, finish }, notice, signInWithPassword, signInWithToken };
    }
    const refreshCsrf = async () => {
      if (current.via === 'password') rotated((await api.get<CurrentSessionView>('/auth/session')).csrfToken);
    };
    const session: Session = { key: current.key, via: current.via, principal: current.principal!, api, signOut, rotated, refreshCsrf };
    return { session, enrolment: null, notice, signInWithPassword, signInWithToken };
  }, [current, notice, forget, signInWithPassword, signInWithToken]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export async function whoAmI(api: Api): Promise<StaffPrincipal> {
  const me = await api.get<PrincipalView>('/auth/me');
  const staff = me.kind === 'staff' && me.role !== undefined;
  const customerAdmin = me.kind === 'customer' && me.role === 'customer_admin' && me.customerId !== undefined && me.staffId !== undefined;
  if (!staff && !customerAdmin) {
    throw new ApiError({
      title: 'This console is for datacenter staff and customer administrators. Customer tokens use the API directly.',
      status: 403,
      code: 'console.staff_only',
    });
  }
  return me as StaffPrincipal;
}

/** A session cookie the server has just set (or that a reload found): who it is, unless it may only enrol TOTP yet. */
async function openedSession(csrfToken: string, state: SignedInView['state']): Promise<Signed> {
  const csrf = { token: csrfToken };
  const principal = state === 'active' ? await whoAmI(new Api({ kind: 'session', csrf })) : null;
  return { via: 'password', key: ++signIns, csrf, principal };
}

/** Restores a sign-in on load: the tab's token, else the browser session; one that no longer works is dropped. */
export async function restoreSession(): Promise<Signed | null> {
  // Back from single sign-on: the server has just set the session cookie, which takes over.
  if (takeSsoOutcome().signedIn) {
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.setItem(SESSION_FLAG, '1');
  }
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) {
    try {
      return { via: 'token', key: ++signIns, token, principal: await whoAmI(new Api({ kind: 'token', token })) };
    } catch {
      sessionStorage.removeItem(TOKEN_KEY);
      return null;
    }
  }
  if (!localStorage.getItem(SESSION_FLAG)) return null;
  try {
    const current = await new Api({ kind: 'none' }).get<CurrentSessionView>('/auth/session');
    return await openedSession(current.csrfToken, current.state);
  } catch {
    localStorage.removeItem(SESSION_FLAG);
    return null;
  }
}

export function useSessionState(): SessionState {
  const s = useContext(Ctx);
  if (!s) throw new Error('SessionProvider missing');
  return s;
}

export function useSession(): Session {
  const s = useSessionState().session;
  if (!s) throw new Error('not signed in');
  return s;
}
