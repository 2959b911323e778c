// The read API client: every call sends the read key kept in localStorage
// and turns API refusals into messages a person can act on.

const keyName = 'lore.readKey';

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
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** explain turns an HTTP status and the API's error text into a sentence. */
export function explain(status: number, detail: string): string {
  switch (status) {
    case 401:
      return /unknown/i.test(detail)
        ? 'Lore does not know this read key: paste the read key printed by lore serve or lore demo at the top right.'
        : 'Lore needs a read key: paste the read key printed by lore serve or lore demo at the top right.';
    case 403:
      return 'This key may not read: use a read key, not an ingest key.';
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
      headers: { Authorization: 'Bearer ' + readKey(), ...(init?.body ? { 'Content-Type': 'application/json' } : {}) },
    });
  } catch (e) {
    throw new ApiError(explain(0, String(e)), 0);
  }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(explain(r.status, body.error || r.statusText), r.status);
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
