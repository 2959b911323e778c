// Patterns: the log templates, their counts over time and what is new.
import { get, type PatternsAnswer } from '../api';
import { ErrorMessage, FirstEvent, Loading, Sparkline } from '../components/common';
import { Figures } from '../components/Figures';
import { rangeOf } from '../components/TimeRange';
import { href, navigate, withParams, type Route } from '../route';
import { fmtNum, fmtPct, fmtTime, useLoad } from '../util';

export function Patterns({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const q = r.params.get('q') || '';
  const p = useLoad((signal) => get<PatternsAnswer>('/api/v1/patterns', { q, from, to, limit: 100 }, signal), [q, from, to]);
  const list = p.data?.patterns || [];
  return (
    <div className="patterns">
      <form
        className="searchbar"
        onSubmit={(e) => {
          e.preventDefault();
          const v = new FormData(e.currentTarget).get('q');
          navigate(withParams(r, { q: String(v || '') || undefined }));
        }}
      >
        <input name="q" aria-label="filter patterns" defaultValue={q} key={q} placeholder="service:payment-service" />
        <button type="submit">Filter</button>
      </form>
      <ErrorMessage error={p.error} />
      <Loading on={p.loading && !p.data} />
      <Figures loads={[p]} label="patterns">
        {p.data && (
          <p className="muted">
            {fmtNum(p.data.total)} log lines in {list.length} patterns, {p.data.new} new in this range.
          </p>
        )}
        {p.data && list.length === 0 && <FirstEvent />}
        {list.length > 0 && (
          <table className="pattern-list">
            <thead>
              <tr>
                <th>template</th>
                <th>over time</th>
                <th>count</th>
                <th>share</th>
                <th>errors</th>
                <th>first seen</th>
              </tr>
            </thead>
            <tbody>
              {list.map((t) => (
                <tr key={t.id} data-row tabIndex={-1}>
                  <td className="msg">
                    {t.new && <span className="new">new</span>}{' '}
                    <a href={href(['explore'], { q: t.query || `pattern_id:${t.id}`, from: r.params.get('from') || undefined, to: r.params.get('to') || undefined })}>{t.template}</a>
                  </td>
                  <td>
                    <Sparkline values={(t.series || []).map((s) => s.count)} tone={t.error_fraction > 0 ? 'err' : 'neutral'} />
                  </td>
                  <td>{fmtNum(t.count)}</td>
                  <td>{fmtPct(t.share)}</td>
                  <td className={t.error_fraction > 0 ? 'lvl-error' : ''}>{fmtPct(t.error_fraction)}</td>
                  <td className="ts">{fmtTime(t.first_seen)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Figures>
    </div>
  );
}
