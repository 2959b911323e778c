// The API client: a signed-in browser's calls carry its session cookie
// (and, on writes, the CSRF token Lore set beside it) and the project
// chosen; a key kept in localStorage (scripts, kiosks) is sent instead when
// there is one. API refusals become messages a person can act on.

const keyName = 'lore.readKey';
const projectName = 'lore.project';

/** project is the project the UI shows ('' for the user's first). */
export function project(): string {
  try {
    return localStorage.getItem(projectName) || '';
  } catch {
    return '';
  }
}

export function setProject(id: string | number): void {
  if (id === '') localStorage.removeItem(projectName);
  else localStorage.setItem(projectName, String(id));
}

/** csrfToken is the session's CSRF token, from the lore_csrf cookie. */
export function csrfToken(): string {
  const m = document.cookie.match(/(?:^|;\s*)lore_csrf=([^;]+)/);
  return m ? decodeURIComponent(m[1]) : '';
}

/** authHeaders are the headers that say who a call acts as. */
export function authHeaders(method = 'GET'): Record<string, string> {
  const k = readKey();
  if (k) return { Authorization: 'Bearer ' + k };
  const h: Record<string, string> = {};
  const p = project();
  if (p) h['X-Lore-Project'] = p;
  if (method !== 'GET' && method !== 'HEAD') h['X-CSRF-Token'] = csrfToken();
  return h;
}

export function readKey(): string {
  try {
    return localStorage.getItem(keyName) || '';
  } catch {
    return '';
  }
}

export function setReadKey(k: string): void {
  localStorage.setItem(keyName, k.trim());
}

export class ApiError extends Error {
  /** detail is the API's "detail" beside its error (a bad query's pipe and column). */
  constructor(message: string, readonly status: number, readonly detail?: unknown) {
    super(message);
  }
}

/** explain turns an HTTP status and the API's error text into a sentence. */
export function explain(status: number, detail: string): string {
  switch (status) {
    case 401:
      return /unknown/i.test(detail) ? 'Lore does not know the key this browser keeps: sign out and sign in again.' : 'You are not signed in: sign in to go on.';
    case 403:
      return `Your role does not allow this: ${detail}`;
    case 400:
      return `Lore could not understand the request: ${detail}`;
    case 404:
      return `Not found: ${detail}`;
    case 413:
      return `The request is too large for Lore: ${detail}`;
    case 429:
    case 503:
      return `Lore is busy right now (${status}); try again in a few seconds. ${detail}`;
    case 500:
      return `Lore failed to answer this request (500): ${detail}. Its log says more.`;
    case 502:
    case 504:
      return `Lore did not answer through the proxy (${status}): is it running? ${detail}`;
    case 0:
      return `Lore is unreachable: is it running, and is this page served by it? (${detail})`;
    default:
      return `Lore answered ${status}: ${detail}`;
  }
}

export type Params = Record<string, string | number | undefined | null>;

/**
 * api calls the read API. Pass the load's abort signal (init.signal, or
 * get's and post's last argument) so a request nobody will read stops
 * the server's work too.
 */
export async function api<T>(path: string, params?: Params, init?: RequestInit): Promise<T> {
  const u = new URL(path, location.origin);
  for (const [k, v] of Object.entries(params || {})) {
    if (v !== undefined && v !== null && v !== '') u.searchParams.set(k, String(v));
  }
  let r: Response;
  try {
    r = await fetch(u, {
      ...init,
      credentials: 'same-origin',
      headers: { ...authHeaders(init?.method), ...(init?.body ? { 'Content-Type': 'application/json' } : {}) },
    });
  } catch (e) {
    throw new ApiError(explain(0, String(e)), 0);
  }
  const body = await r.json().catch(() => ({}));
  if (r.status === 401 && !readKey() && !path.startsWith('/api/v1/auth/') && !location.hash.startsWith('#/login')) {
    location.hash = '#/login';
  }
  if (!r.ok) throw new ApiError(explain(r.status, body.error || r.statusText), r.status, body.detail);
  return body as T;
}

/** get reads path with its query parameters. */
export function get<T>(path: string, params?: Params, signal?: AbortSignal): Promise<T> {
  return api<T>(path, params, { signal });
}

/** post sends body as JSON (an analysis question, a new rule). */
export function post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return api<T>(path, undefined, { method: 'POST', body: JSON.stringify(body), signal });
}
