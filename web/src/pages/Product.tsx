// Product: tabs for the funnel (the builder, its chart, and for each
// drop-off the errors those persons hit and their journeys), retention,
// paths, trends and web analytics. Each question is kept in the URL.
import { useState } from 'react';
import { api, type Facets } from '../api';
import { ErrorMessage, Loading } from '../components/common';
import { PinButton } from '../components/Pin';
import { rangeOf } from '../components/TimeRange';
import { href, keep, navigate, withParams, type Route } from '../route';
import { fmtDuration, fmtNum, fmtPct, term, useLoad } from '../util';
import { Paths } from './Paths';
import { Retention } from './Retention';
import { Trends } from './Trends';
import { WebStats } from './WebStats';

const tabs: [string, string][] = [
  ['', 'Funnel'],
  ['retention', 'Retention'],
  ['paths', 'Paths'],
  ['trends', 'Trends'],
  ['web', 'Web analytics'],
];

export function Product({ r }: { r: Route }) {
  const tab = r.path[1] || '';
  return (
    <div className="product">
      <nav className="tabs" aria-label="product analyses">
        {tabs.map(([t, label]) => (
          <a key={t} href={href(t ? ['product', t] : ['product'], keep(r))} className={tab === t ? 'active' : ''} aria-current={tab === t ? 'page' : undefined}>
            {label}
          </a>
        ))}
      </nav>
      {tab === 'retention' ? <Retention r={r} /> : tab === 'paths' ? <Paths r={r} /> : tab === 'trends' ? <Trends r={r} /> : tab === 'web' ? <WebStats r={r} /> : <Funnel r={r} />}
    </div>
  );
}

export interface FunnelStep {
  event: string;
  where?: string;
}

interface FunnelAnswer {
  steps: {
    name: string;
    persons: number;
    conversion_rate: number;
    dropoff_rate: number;
    dropped_after: number;
    median_seconds_to_convert?: number;
    dropoff_errors?: { kind: string; label: string; service?: string; persons: number; events: number; median_ms?: number }[] | null;
    sample_persons?: string[] | null;
  }[];
}

export const defaultSteps: FunnelStep[] = [{ event: 'Product Viewed' }, { event: 'Checkout Started' }, { event: 'Order Completed' }];

/** stepsOf reads the funnel from the URL ("f" holds its steps as JSON). */
export function stepsOf(r: Route): FunnelStep[] {
  try {
    const s = JSON.parse(r.params.get('f') || '');
    if (Array.isArray(s) && s.every((x) => typeof x?.event === 'string')) return s;
  } catch {
    /* the default funnel */
  }
  return defaultSteps;
}

function Funnel({ r }: { r: Route }) {
  const steps = stepsOf(r);
  const window = r.params.get('window') || '1h';
  const { from, to } = rangeOf(r);
  const [draft, setDraft] = useState<FunnelStep[]>(steps);
  const [win, setWin] = useState(window);
  const key = JSON.stringify(steps);
  const f = useLoad(
    () => api<FunnelAnswer>('/api/v1/funnels', undefined, { method: 'POST', body: JSON.stringify({ steps, window, from, to }) }),
    [key, window, from, to],
  );
  const names = useLoad(() => api<Facets>('/api/v1/facets', { q: 'kind:event', field: 'name', from, to, limit: 50 }), [from, to]);
  const set = (i: number, s: Partial<FunnelStep>) => setDraft((d) => d.map((x, k) => (k === i ? { ...x, ...s } : x)));
  return (
    <div className="funnel-page">
      <form
        className="funnel-builder"
        onSubmit={(e) => {
          e.preventDefault();
          const clean = draft.filter((s) => s.event.trim()).map((s) => (s.where?.trim() ? { event: s.event.trim(), where: s.where.trim() } : { event: s.event.trim() }));
          navigate(withParams(r, { f: JSON.stringify(clean), window: win }));
        }}
      >
        <datalist id="event-names">
          {(names.data?.values || []).map((v) => (
            <option key={v.value} value={v.value} />
          ))}
        </datalist>
        {draft.map((s, i) => (
          <div className="step-edit" key={i}>
            <span className="n">{i + 1}</span>
            <input aria-label={`step ${i + 1} event`} list="event-names" value={s.event} onChange={(e) => set(i, { event: e.target.value })} />
            <input aria-label={`step ${i + 1} filter`} placeholder="filter, e.g. plan:pro" value={s.where || ''} onChange={(e) => set(i, { where: e.target.value })} />
            {draft.length > 2 && (
              <button type="button" className="plain" onClick={() => setDraft((d) => d.filter((_, k) => k !== i))} aria-label={`remove step ${i + 1}`}>
                ×
              </button>
            )}
          </div>
        ))}
        <div className="step-actions">
          <button type="button" className="plain" onClick={() => setDraft((d) => [...d, { event: '' }])}>
            + step
          </button>
          <label>
            within <input aria-label="window" value={win} onChange={(e) => setWin(e.target.value)} size={5} />
          </label>
          <button type="submit">Show funnel</button>
        </div>
      </form>
      <ErrorMessage error={f.error} />
      <Loading on={f.loading} />
      {f.data && (
        <div className="pins">
          <PinButton panel={{ title: steps.map((s) => s.event).join(' → '), kind: 'funnel', params: { steps, window } }} />
        </div>
      )}
      {f.data && <FunnelChart a={f.data} r={r} />}
    </div>
  );
}

export function FunnelChart({ a, r }: { a: FunnelAnswer; r: Route }) {
  const first = a.steps[0]?.persons || 0;
  if (!first) return <div className="empty">Nobody did the first step in this time range.</div>;
  return (
    <div className="funnel">
      {a.steps.map((s, i) => (
        <div className="fstep" key={i}>
          <div className="fhead">
            <b>
              {i + 1}. {s.name}
            </b>
            <span>
              {fmtNum(s.persons)} persons · {fmtPct(s.conversion_rate)}
              {i > 0 && s.median_seconds_to_convert ? ` · median ${fmtDuration(s.median_seconds_to_convert * 1000)} to get here` : ''}
            </span>
          </div>
          <div className="fbar-track">
            <div className="fbar" style={{ width: `${(s.persons / first) * 100}%` }} />
          </div>
          {i < a.steps.length - 1 && s.dropped_after > 0 && (
            <div className="dropoff">
              <b>{fmtNum(s.dropped_after)}</b> stopped here ({fmtPct(s.dropped_after / Math.max(1, s.persons))} of this step).
              {(s.dropoff_errors || []).length > 0 && (
                <ul>
                  {(s.dropoff_errors || []).slice(0, 5).map((e, k) => (
                    <li key={k} className={e.kind}>
                      {e.kind === 'slow' ? 'slow' : 'error'}{' '}
                      <a href={href(['explore'], { ...keep(r), q: dropoffQuery(e) })} title="the events in Explore">
                        <code>{e.label}</code>
                      </a>{' '}
                      in {e.service}: {fmtNum(e.persons)} persons, {fmtNum(e.events)} events
                      {e.median_ms ? ` (median ${fmtDuration(e.median_ms)})` : ''}
                    </li>
                  ))}
                </ul>
              )}
              {(s.sample_persons || []).length > 0 && (
                <div className="samples">
                  their journeys:{' '}
                  {(s.sample_persons || []).map((p, k) => (
                    <a key={p} className="journey-link" href={href(['journey', 'person', p])}>
                      person {k + 1}
                    </a>
                  ))}
                </div>
              )}
            </div>
          )}
        </div>
      ))}
    </div>
  );
}

/** dropoffQuery finds a drop-off's errors (by type) or slow requests (by endpoint) in Explore. */
export function dropoffQuery(e: { kind: string; label: string; service?: string }): string {
  const svc = e.service ? term('service', e.service) + ' ' : '';
  return e.kind === 'slow' ? `${svc}kind:span ${term('endpoint', e.label)} duration_ms:>1000` : `${svc}${term('error_type', e.label)}`;
}
