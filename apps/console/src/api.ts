/**
 * The console's only way to the server: same-origin fetch, authenticated either by the browser
 * session cookie (a person signed in with a password; the browser sends the httpOnly cookie by
 * itself, the page adds the session's CSRF token to state-changing requests) or by a staff bearer
 * token (automation users). Errors arrive as problem+json (RFC 9457) with a stable `code`; they are surfaced as
 * ApiError so pages can show the title and react to the code.
 */
import { authMessage } from './auth-messages';
import type { components } from './generated/api-types';

/** The server's request and response shapes, generated from its OpenAPI document (`npm run api:types`). */
export type Schemas = components['schemas'];

/**
 * The server's problem document (ProblemView). `type` is optional here because the console makes
 * its own problems for a server it cannot reach; codes may add members of their own.
 */
export type Problem = Omit<Schemas['ProblemView'], 'type'> & { type?: string; [extra: string]: unknown };

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ApiError';
  }
  get code(): string {
    return this.problem.code;
  }
  get status(): number {
    return this.problem.status;
  }
}

export interface Page<T> {
  items: T[];
  nextCursor?: string;
}

export type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `${path}?${s}` : path;
}

async function problemOf(res: Response): Promise<Problem> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    try {
      const body = (await res.json()) as Partial<Problem>;
      return { title: body.title ?? res.statusText, status: body.status ?? res.status, code: body.code ?? `http.${res.status}`, ...body } as Problem;
    } catch {
      // fall through to the generic problem below
    }
  }
  return { title: res.statusText || 'Request failed', status: res.status, code: `http.${res.status}` };
}

/** The server's CSRF header (libs/auth session-cookie.ts), required on unsafe requests made with the cookie. */
export const CSRF_HEADER = 'x-csrf-token';
// RFC 9110 §9.2.1: the safe methods, the ones the server lets a cookie request make without the CSRF token.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * How requests authenticate. The session's CSRF token sits in a holder the session updates in
 * place when the server rotates the session (TOTP confirmation, password change), so the Api
 * object, and every query keyed on it, stays the same for the whole sign-in.
 */
export type ApiAuth = { kind: 'token'; token: string } | { kind: 'session'; csrf: { token: string } } | { kind: 'none' };

export class Api {
  constructor(
    private readonly auth: ApiAuth,
    private readonly onUnauthorized: () => void = () => undefined,
  ) {}

  headers(extra: Record<string, string> = {}, method = 'GET'): Record<string, string> {
    const out: Record<string, string> = { accept: 'application/json' };
    if (this.auth.kind === 'token') out.authorization = `Bearer ${this.auth.token}`;
    else if (this.auth.kind === 'session' && !SAFE_METHODS.has(method)) out[CSRF_HEADER] = this.auth.csrf.token;
    return { ...out, ...extra };
  }

  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    let res: Response;
    try {
      res = await fetch(withQuery(path, opts.query), {
        method,
        headers: this.headers(opts.body === undefined ? {} : { 'content-type': 'application/json' }, method),
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (e) {
      if ((e as Error).name === 'AbortError') throw e;
      throw new ApiError({ title: 'The server cannot be reached', status: 0, code: 'console.offline' });
    }
    if (res.status === 401) this.onUnauthorized();
    if (!res.ok) throw new ApiError(await problemOf(res));
    if (res.status === 204) return undefined as T;
    const type = res.headers.get('content-type') ?? '';
    return (type.includes('json') ? await res.json() : await res.text()) as T;
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { query, signal });
  }
  post<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('POST', path, { body: body ?? {} });
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }
  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, { body });
  }
  delete<T>(path: string, body?: unknown): Promise<T> {
    return this.request<T>('DELETE', path, body === undefined ? {} : { body });
  }

  /** Every page of a keyset-paged list (for small lists such as sites or doors). */
  async all<T>(path: string, query: Query = {}): Promise<T[]> {
    const out: T[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.get<Page<T> | T[]>(path, { ...query, cursor });
      if (Array.isArray(page)) return page;
      out.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return out;
  }

  /**
   * A streamed download (history export): reports bytes received so the page can show
   * progress, and hands back a Blob to save. Total size is unknown for streamed exports, so
   * progress is bytes and rows, not a percentage.
   */
  async download(
    path: string,
    query: Query,
    onProgress: (bytes: number) => void,
    signal?: AbortSignal,
  ): Promise<{ blob: Blob; filename: string | null; contentType: string }> {
    const res = await fetch(withQuery(path, query), { headers: this.headers({ accept: '*/*' }), signal });
    if (res.status === 401) this.onUnauthorized();
    if (!res.ok || !res.body) throw new ApiError(await problemOf(res));
    const reader = res.body.getReader();
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
      onProgress(bytes);
    }
    const disposition = res.headers.get('content-disposition') ?? '';
    const filename = /filename="?([^";]+)"?/.exec(disposition)?.[1] ?? null;
    const contentType = res.headers.get('content-type') ?? 'application/octet-stream';
    return { blob: new Blob(chunks as BlobPart[], { type: contentType }), filename, contentType };
  }
}

/** Shows the problem's title, its code and the fields that failed validation. */
export function describeError(e: unknown): { title: string; code: string; fields: string[] } {
  if (e instanceof ApiError) {
    return { title: authMessage(e.problem) ?? e.problem.detail ?? e.problem.title, code: e.code, fields: (e.problem.errors ?? []).map((f) => f.field) };
  }
  return { title: e instanceof Error ? e.message : 'Something went wrong', code: 'console.error', fields: [] };
}
