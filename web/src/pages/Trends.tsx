// Trends: an event's count (or persons, or a property's sum, average or
// p95) over time, optionally split by a field and compared with the
// previous period of the same length. The question is kept in the URL.
import { post, type TrendsAnswer } from '../api';
import { useMemo, useState } from 'react';
import { ErrorMessage, Loading } from '../components/common';
import { Figures } from '../components/Figures';
import { EventNames, eventNamesId } from '../components/EventNames';
import { LineChart, trendLines } from '../components/LineChart';
import { PinButton } from '../components/Pin';
import { rangeOf } from '../components/TimeRange';
import { navigate, withParams, type Route } from '../route';
import { fmtNum, fmtPct, useLoad } from '../util';

const measures = ['count', 'persons', 'sum', 'avg', 'p95'];

export function Trends({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const ev = r.params.get('event') || 'Order Completed';
  const measure = r.params.get('measure') || 'count';
  const property = r.params.get('property') || '';
  const by = r.params.get('by') || '';
  const compare = r.params.get('compare') === '1';
  const [d, setD] = useState({ ev, measure, property, by, compare });
  const a = useLoad((signal) => post<TrendsAnswer>('/api/v1/trends', {
        event: ev,
        measure,
        property: property || undefined,
        breakdown: by || undefined,
        compare,
        from,
        to,
      }, signal),
    [ev, measure, property, by, compare, from, to],
  );
  const chart = useMemo(() => (a.data ? trendLines(a.data) : undefined), [a.data]);
  const series = a.data?.series || [];
  const needsProperty = !['count', 'persons'].includes(d.measure);
  return (
    <div className="trends">
      <EventNames from={from} to={to} />
      <form
        className="controls"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(
            withParams(r, {
              event: d.ev.trim() || undefined,
              measure: d.measure,
              property: needsProperty ? d.property.trim() || undefined : undefined,
              by: d.by.trim() || undefined,
              compare: d.compare ? '1' : undefined,
            }),
          );
        }}
      >
        <select aria-label="measure" value={d.measure} onChange={(e) => setD({ ...d, measure: e.target.value })}>
          {measures.map((m) => (
            <option key={m}>{m}</option>
          ))}
        </select>
        {needsProperty && <input aria-label="property" placeholder="numeric property, e.g. revenue" value={d.property} onChange={(e) => setD({ ...d, property: e.target.value })} />}
        <label>
          of <input aria-label="event" list={eventNamesId} value={d.ev} onChange={(e) => setD({ ...d, ev: e.target.value })} />
        </label>
        <label>
          by <input aria-label="breakdown" placeholder="field, e.g. browser" value={d.by} onChange={(e) => setD({ ...d, by: e.target.value })} size={12} />
        </label>
        <label>
          <input type="checkbox" checked={d.compare} onChange={(e) => setD({ ...d, compare: e.target.checked })} /> compare with the previous period
        </label>
        <button type="submit">Show trend</button>
      </form>
      {a.data && (
        <div className="pins">
          <PinButton
            panel={{ title: `${ev} (${measure}${property ? ' of ' + property : ''})`, kind: 'trend', params: { event: ev, measure, property: property || undefined, breakdown: by || undefined, compare } }}
          />
        </div>
      )}
      <ErrorMessage error={a.error} />
      <Loading on={a.loading && !a.data} />
      <Figures loads={[a]} label="trend">
        {a.data && series.length === 0 && <div className="empty">No “{ev}” events in this time range.</div>}
        {series.length > 0 && chart && (
          <>
            <div className="totals">
              {series.slice(0, 8).map((s, i) => (
                <div key={i} className="num">
                  <b>{fmtNum(s.total)}</b>
                  <span>
                    {s.breakdown || `${measure} of ${ev}`}
                    {s.change !== undefined && s.change !== null && (
                      <span className={s.change >= 0 ? 'up' : 'down'}>
                        {' '}
                        {s.change >= 0 ? '▲' : '▼'} {fmtPct(Math.abs(s.change))}
                      </span>
                    )}
                  </span>
                </div>
              ))}
            </div>
            <LineChart xs={chart.xs} lines={chart.lines} />
          </>
        )}
      </Figures>
    </div>
  );
}
