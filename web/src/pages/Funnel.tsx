// Funnel: the builder and its chart (for each drop-off the errors those
// persons hit and their journeys). The question is kept in the URL.
import { useState } from 'react';
import { get, post, type Facets, type FunnelAnswer, type FunnelQuestionStep as FunnelStep } from '../api';
import { ErrorMessage, Loading } from '../components/common';
import { Figures } from '../components/Figures';
import { PinButton } from '../components/Pin';
import { rangeOf } from '../components/TimeRange';
import { href, keep, navigate, withParams, type Route } from '../route';
import { fmtDuration, fmtNum, fmtPct, term, useLoad } from '../util';
import { FunnelChart } from '../components/FunnelChart';

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

export function Funnel({ r }: { r: Route }) {
  const steps = stepsOf(r);
  const window = r.params.get('window') || '1h';
  const { from, to } = rangeOf(r);
  const [draft, setDraft] = useState<FunnelStep[]>(steps);
  const [win, setWin] = useState(window);
  const key = JSON.stringify(steps);
  const f = useLoad(
    (signal) => post<FunnelAnswer>('/api/v1/funnels', { steps, window, from, to }, signal),
    [key, window, from, to],
  );
  const names = useLoad((signal) => get<Facets>('/api/v1/facets', { q: 'kind:event', field: 'name', from, to, limit: 50 }, signal), [from, to]);
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
      <Loading on={f.loading && !f.data} />
      {f.data && (
        <div className="pins">
          <PinButton panel={{ title: steps.map((s) => s.event).join(' → '), kind: 'funnel', params: { steps, window } }} />
        </div>
      )}
      <Figures loads={[f]} label="funnel">
        {f.data && <FunnelChart a={f.data} r={r} />}
      </Figures>
    </div>
  );
}

