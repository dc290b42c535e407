import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';
import { Api, ApiError, type Schemas } from './api';

type PrincipalView = Schemas['PrincipalView'];
export type StaffRole = NonNullable<PrincipalView['role']>;
/** GET /auth/me for a staff token: the console is for staff, so these members are always there. */
export type StaffPrincipal = Required<Pick<PrincipalView, 'staffId' | 'role' | 'tokenId'>> & { kind: 'staff' };

interface Session {
  token: string;
  principal: StaffPrincipal;
  api: Api;
  signOut: (reason?: string) => void;
}

interface SessionState {
  session: Session | null;
  notice: string | null;
  signIn: (token: string) => Promise<void>;
}

/**
 * The token lives in sessionStorage: it survives a reload of the desk tab but not the closing
 * of the browser, and is never put in a URL. Roles come from the server (/auth/me); the pages
 * a role sees mirror the API's own policies, which stay the real gate.
 */
const KEY = 'acs.console.token';
const Ctx = createContext<SessionState | null>(null);

export function SessionProvider({ children, initial }: { children: ReactNode; initial: { token: string; principal: StaffPrincipal } | null }) {
  const [current, setCurrent] = useState(initial);
  const [notice, setNotice] = useState<string | null>(null);

  const signOut = useCallback((reason?: string) => {
    sessionStorage.removeItem(KEY);
    setCurrent(null);
    setNotice(reason ?? null);
  }, []);

  const signIn = useCallback(async (token: string) => {
    const principal = await whoAmI(token);
    sessionStorage.setItem(KEY, token);
    setNotice(null);
    setCurrent({ token, principal });
  }, []);

  const session = useMemo<Session | null>(
    () =>
      current ? { ...current, api: new Api(current.token, () => signOut('Your session has ended (token expired or revoked). Sign in again.')), signOut } : null,
    [current, signOut],
  );
  const value = useMemo(() => ({ session, notice, signIn }), [session, notice, signIn]);
  return <Ctx.Provider value={value}>{children}</Ctx.Provider>;
}

export async function whoAmI(token: string): Promise<StaffPrincipal> {
  const me = await new Api(token).get<PrincipalView>('/auth/me');
  if (me.kind !== 'staff' || !me.role) {
    throw new ApiError({ title: 'This console is for datacenter staff. Customer tokens use the API directly.', status: 403, code: 'console.staff_only' });
  }
  return me as StaffPrincipal;
}

/** Restores a stored session on load; a token that no longer works is dropped. */
export async function restoreSession(): Promise<{ token: string; principal: StaffPrincipal } | null> {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  try {
    return { token, principal: await whoAmI(token) };
  } catch {
    sessionStorage.removeItem(KEY);
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
