// Hash routing: every page's state (query, time range, selection) lives in
// the URL after "#", so any view can be shared by link.
import { useEffect, useState } from 'react';

export interface Route {
  path: string[];
  params: URLSearchParams;
  /** the hash read ("#/explore?q=…"): the page shows it as main's data-route, which the browser tests wait on */
  hash: string;
}

export function parseHash(hash: string): Route {
  const h = hash.replace(/^#/, '');
  const [p, q = ''] = h.split('?', 2);
  const path = p.split('/').filter(Boolean).map(decodeURIComponent);
  return { path, params: new URLSearchParams(q), hash: '#' + h };
}

/** href builds "#/a/b?k=v", dropping empty parameters. */
export function href(path: string[], params?: Record<string, string | undefined> | URLSearchParams): string {
  const q = new URLSearchParams();
  const entries = params instanceof URLSearchParams ? [...params.entries()] : Object.entries(params || {});
  for (const [k, v] of entries) if (v) q.set(k, v);
  const s = q.toString();
  return '#/' + path.map(encodeURIComponent).join('/') + (s ? '?' + s : '');
}

/** withParams keeps the current parameters (the time range) and changes some. */
export function withParams(r: Route, change: Record<string, string | undefined>, path = r.path): string {
  const p: Record<string, string | undefined> = Object.fromEntries(r.params.entries());
  Object.assign(p, change);
  return href(path, p);
}

/** keep returns only the time range of the current route, to carry it between pages. */
export function keep(r: Route): Record<string, string | undefined> {
  return { from: r.params.get('from') || undefined, to: r.params.get('to') || undefined };
}

export function navigate(to: string): void {
  if (location.hash !== to) location.hash = to;
}

export function useRoute(): Route {
  const [r, setR] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const on = () => setR(parseHash(location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return r;
}

/**
 * useParam binds a control to a URL parameter. The value is also held
 * here, so the control shows a change at once rather than after the hash
 * change is read; the setter can change other parameters in the same step.
 */
export function useParam(r: Route, name: string): [string, (v: string, also?: Record<string, string | undefined>) => void] {
  const inURL = r.params.get(name) || '';
  const [v, setV] = useState(inURL);
  useEffect(() => setV(inURL), [inURL]);
  const set = (nv: string, also?: Record<string, string | undefined>) => {
    setV(nv);
    navigate(withParams(r, { ...also, [name]: nv || undefined }));
  };
  return [v, set];
}

/** useFlag is useParam for a checkbox: "name=1" or absent. */
export function useFlag(r: Route, name: string): [boolean, (on: boolean, also?: Record<string, string | undefined>) => void] {
  const [v, set] = useParam(r, name);
  return [v === '1', (on, also) => set(on ? '1' : '', also)];
}
