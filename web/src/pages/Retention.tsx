// Retention: of the persons who did a start event in a period (a cohort),
// how many came back to do the return event 1, 2, … periods later, as a
// heat map. The question is kept in the URL.
import { post, type RetentionAnswer } from '../api';
import { useState } from 'react';
import { ErrorMessage, Loading, heat } from '../components/common';
import { Figures } from '../components/Figures';
import { EventNames, eventNamesId } from '../components/EventNames';
import { PinButton } from '../components/Pin';
import { rangeOf } from '../components/TimeRange';
import { navigate, withParams, type Route } from '../route';
import { fmtNum, fmtPct, fmtShort, useLoad } from '../util';

/** future says whether period k of a cohort starting at start ends after to. */
export function future(start: string, k: number, period: string, to: string): boolean {
  const len = (period === 'week' ? 7 : 1) * 86400000;
  return new Date(start).getTime() + k * len > new Date(to).getTime();
}

export function Retention({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const start = r.params.get('start') || 'Product Viewed';
  const ret = r.params.get('return') || '';
  const period = r.params.get('period') === 'week' ? 'week' : 'day';
  const periods = Number(r.params.get('periods')) || 8;
  const [d, setD] = useState({ start, ret, period, periods: String(periods) });
  const a = useLoad((signal) => post<RetentionAnswer>('/api/v1/retention', { start_event: start, return_event: ret || undefined, period, periods, from, to }, signal),
    [start, ret, period, periods, from, to],
  );
  const cohorts = a.data?.cohorts || [];
  return (
    <div className="retention">
      <EventNames from={from} to={to} />
      <form
        className="controls"
        onSubmit={(e) => {
          e.preventDefault();
          navigate(withParams(r, { start: d.start.trim() || undefined, return: d.ret.trim() || undefined, period: d.period, periods: d.periods }));
        }}
      >
        <label>
          who did <input aria-label="start event" list={eventNamesId} value={d.start} onChange={(e) => setD({ ...d, start: e.target.value })} />
        </label>
        <label>
          came back to do{' '}
          <input aria-label="return event" list={eventNamesId} placeholder="the same event" value={d.ret} onChange={(e) => setD({ ...d, ret: e.target.value })} />
        </label>
        <label>
          per{' '}
          <select aria-label="period" value={d.period} onChange={(e) => setD({ ...d, period: e.target.value as 'day' | 'week' })}>
            <option>day</option>
            <option>week</option>
          </select>
        </label>
        <label>
          periods <input aria-label="periods" type="number" min={2} max={52} value={d.periods} onChange={(e) => setD({ ...d, periods: e.target.value })} style={{ width: 64 }} />
        </label>
        <button type="submit">Show retention</button>
      </form>
      {a.data && (
        <div className="pins">
          <PinButton
            panel={{ title: `${start} → ${ret || start} (per ${period})`, kind: 'retention', params: { start_event: start, return_event: ret || start, period, periods } }}
          />
        </div>
      )}
      <ErrorMessage error={a.error} />
      <Loading on={a.loading && !a.data} />
      <Figures loads={[a]} label="retention">
        {a.data && cohorts.length === 0 && <div className="empty">Nobody did “{start}” in this time range: pick another event or widen the range.</div>}
        {cohorts.length > 0 && (
          <table className="heat">
            <thead>
              <tr>
                <th>cohort</th>
                <th>persons</th>
                {(cohorts[0].rates || []).map((_, k) => (
                  <th key={k}>
                    {period} {k}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {cohorts.map((c) => (
                <tr key={c.start + (c.breakdown || '')}>
                  <th>{fmtShort(c.start).replace(/,? \d\d:\d\d$/, '')}{c.breakdown ? ` · ${c.breakdown}` : ''}</th>
                  <td className="size">{fmtNum(c.size)}</td>
                  {(c.rates || []).map((rate, k) =>
                    future(c.start, k, period, a.data!.range.to) ? (
                      <td key={k} className="cell future" />
                    ) : (
                      <td key={k} className={`cell${rate > 0.5 ? ' strong' : ''}`} style={{ background: heat(rate) }} title={`${fmtNum(c.returned?.[k])} of ${fmtNum(c.size)} came back in ${period} ${k}`}>
                        {fmtPct(rate)}
                      </td>
                    ),
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Figures>
    </div>
  );
}
