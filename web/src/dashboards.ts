// Dashboards and saved searches: their shapes and the calls that store,
// pin, export and import them (GET/POST/PUT/DELETE /api/v1/dashboards and
// /api/v1/searches; YAML through ?format=yaml and …/import).
import { ApiError, api, explain, get, authHeaders } from './api';
import type * as G from './api/types.gen';

export type PanelKind = 'histogram' | 'facet' | 'trend' | 'funnel' | 'retention' | 'query';

/** Panel is the API's panel with the kinds the UI draws. */
export type Panel = Omit<G.Panel, 'kind'> & { kind: PanelKind };

/** Dashboard is the API's dashboard; its panels are never null here. */
export type Dashboard = Omit<G.Dashboard, 'panels'> & { panels: Panel[] };

export type SavedSearch = G.SavedSearch;

export function listDashboards(signal?: AbortSignal): Promise<Dashboard[]> {
  return get<{ dashboards: G.Dashboard[] | null }>('/api/v1/dashboards', undefined, signal).then((a) => (a.dashboards || []).map(withPanels));
}

export function getDashboard(id: number, signal?: AbortSignal): Promise<Dashboard> {
  return get<G.Dashboard>(`/api/v1/dashboards/${id}`, undefined, signal).then(withPanels);
}

function withPanels(d: G.Dashboard): Dashboard {
  return { ...d, panels: (d.panels || []) as Panel[] };
}

export function saveDashboard(d: Partial<Dashboard> & { name: string; panels: Panel[] }): Promise<Dashboard> {
  const body = JSON.stringify({ name: d.name, description: d.description, from: d.from, panels: d.panels });
  return d.id ? api<Dashboard>(`/api/v1/dashboards/${d.id}`, undefined, { method: 'PUT', body }) : api<Dashboard>('/api/v1/dashboards', undefined, { method: 'POST', body });
}

export function deleteDashboard(id: number): Promise<unknown> {
  return api(`/api/v1/dashboards/${id}`, undefined, { method: 'DELETE' });
}

/** pin adds a panel to an existing dashboard (by id) or to a new one (by name). */
export async function pin(panel: Panel, to: { id?: number; name?: string }): Promise<Dashboard> {
  if (to.id) {
    const d = await getDashboard(to.id);
    return saveDashboard({ ...d, panels: [...d.panels, panel] });
  }
  return saveDashboard({ name: (to.name || '').trim(), panels: [panel] });
}

export function listSearches(signal?: AbortSignal): Promise<SavedSearch[]> {
  return get<{ searches: SavedSearch[] | null }>('/api/v1/searches', undefined, signal).then((a) => a.searches || []);
}

export function saveSearch(s: Omit<SavedSearch, 'id'>): Promise<SavedSearch> {
  return api<SavedSearch>('/api/v1/searches', undefined, { method: 'POST', body: JSON.stringify(s) });
}

export function deleteSearch(id: number): Promise<unknown> {
  return api(`/api/v1/searches/${id}`, undefined, { method: 'DELETE' });
}

/** exportYAML fetches dashboards (all, or one) or saved searches as YAML text. */
export async function exportYAML(what: 'dashboards' | 'searches', id?: number): Promise<string> {
  const u = new URL(`/api/v1/${what}${id ? '/' + id : ''}`, location.origin);
  u.searchParams.set('format', 'yaml');
  let r: Response;
  try {
    r = await fetch(u, { headers: authHeaders() });
  } catch (e) {
    throw new ApiError(explain(0, String(e)), 0);
  }
  const text = await r.text();
  if (!r.ok) {
    let detail = r.statusText;
    try {
      detail = JSON.parse(text).error || detail;
    } catch {
      /* not JSON */
    }
    throw new ApiError(explain(r.status, detail), r.status);
  }
  return text;
}

/** importYAML posts YAML documents; dashboards or searches of the same name are replaced. */
export async function importYAML(what: 'dashboards' | 'searches', yaml: string): Promise<number> {
  let r: Response;
  try {
    r = await fetch(new URL(`/api/v1/${what}/import`, location.origin), {
      method: 'POST',
      headers: { ...authHeaders('POST'), 'Content-Type': 'application/yaml' },
      body: yaml,
    });
  } catch (e) {
    throw new ApiError(explain(0, String(e)), 0);
  }
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new ApiError(explain(r.status, body.error || r.statusText), r.status);
  return body.imported as number;
}

/** download offers text as a file. */
export function download(name: string, text: string): void {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(new Blob([text], { type: 'application/yaml' }));
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

export function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'dashboard';
}

/** Investigation templates: parameterised searches for the common questions. */
export interface Template {
  id: string;
  title: string;
  help: string;
  params: { name: string; label: string; placeholder?: string; value?: string }[];
  /** link builds the page to open (a hash route) from the parameters. */
  link: (p: Record<string, string>) => { path: string[]; params: Record<string, string | undefined> };
}

const quote = (v: string) => (/^[\w.@/\-:]+$/.test(v) ? v : `"${v.replace(/"/g, '\\"')}"`);

export const templates: Template[] = [
  {
    id: 'journey',
    title: "Trace a user's journey",
    help: 'Everything one user did, across the browser and every service, as one story.',
    params: [{ name: 'user', label: 'user id', placeholder: 'user_2799' }],
    link: (p) => ({ path: ['journey', 'user', p.user.trim()], params: {} }),
  },
  {
    id: 'slow',
    title: 'Find slow endpoints',
    help: 'Requests slower than a threshold; the endpoint facet ranks the worst.',
    params: [
      { name: 'ms', label: 'slower than (ms)', value: '1000' },
      { name: 'service', label: 'service (optional)', placeholder: 'any' },
    ],
    link: (p) => ({
      path: ['explore'],
      params: { q: [`kind:span`, `duration_ms:>${Number(p.ms) || 1000}`, p.service?.trim() ? `service:${quote(p.service.trim())}` : ''].filter(Boolean).join(' ') },
    }),
  },
  {
    id: 'retries',
    title: 'Show retry patterns for a dependency',
    help: 'Calls to a dependency answered 429 or 5xx, and the retries of the service that calls it, in time order.',
    params: [
      { name: 'peer', label: 'dependency (peer.service)', placeholder: 'payment-gateway' },
      { name: 'caller', label: 'calling service (optional)', placeholder: 'payment-service' },
    ],
    link: (p) => {
      const calls = `(peer.service:${quote(p.peer.trim())} (http_status:429 OR http_status:>=500 OR retry_attempt:>=1))`;
      const retries = p.caller?.trim() ? `(service:${quote(p.caller.trim())} retry_attempt:>=1)` : 'retry_attempt:>=1';
      return { path: ['explore'], params: { q: `${calls} OR ${retries}` } };
    },
  },
  {
    id: 'release',
    title: 'Errors since a release',
    help: 'The errors of one release, grouped by type in the facets.',
    params: [{ name: 'release', label: 'release', placeholder: 'v2.3.1' }],
    link: (p) => ({ path: ['explore'], params: { q: `level:(error OR fatal) release:${quote(p.release.trim())}` } }),
  },
];
