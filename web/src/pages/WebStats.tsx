// Web analytics: page views, visitors, sessions, bounce rate, and the top
// pages, entry and exit pages, referrers, UTM sources and campaigns,
// browsers, systems and devices.
import { get, type WebAnswer, type WebCount } from '../api';
import { ErrorMessage, Loading } from '../components/common';
import { Figures } from '../components/Figures';
import { rangeOf } from '../components/TimeRange';
import { href, keep, type Route } from '../route';
import { fmtDuration, fmtNum, fmtPct, term, useLoad } from '../util';

// Each list, what it counts, and the search that finds its page views.
const lists: [keyof WebAnswer, string, string, string | undefined][] = [
  ['top_pages', 'Top pages', 'views', 'name'],
  ['entry_pages', 'Entry pages', 'sessions', 'name'],
  ['exit_pages', 'Exit pages', 'sessions', 'name'],
  ['referrers', 'Referrers', 'sessions', 'referrer'],
  ['utm_sources', 'UTM sources', 'sessions', 'utm.source'],
  ['utm_campaigns', 'UTM campaigns', 'sessions', 'utm.campaign'],
  ['browsers', 'Browsers', 'visitors', 'browser'],
  ['operating_systems', 'Operating systems', 'visitors', 'os'],
  ['device_types', 'Devices', 'visitors', 'device.type'],
];

export function WebStats({ r }: { r: Route }) {
  const { from, to } = rangeOf(r);
  const a = useLoad((signal) => get<WebAnswer>('/api/v1/web', { from, to, limit: 10 }, signal), [from, to]);
  const w = a.data;
  return (
    <div className="web">
      <ErrorMessage error={a.error} />
      <Loading on={a.loading && !a.data} />
      <Figures loads={[a]} label="web analytics">
      {w && w.pageviews === 0 && (
        <div className="empty">
          No page views in this time range. Add the browser snippet to your site:
          <pre>{`<script src="${location.origin}/sdk.js"></script>
<script>lore.init("INGEST_KEY", {host: "${location.origin}"})</script>`}</pre>
          or send PostHog or Segment calls to Lore.
        </div>
      )}
      {w && w.pageviews > 0 && (
        <>
          <div className="numbers">
            <Num v={fmtNum(w.pageviews)} l="page views" />
            <Num v={fmtNum(w.visitors)} l="visitors" />
            <Num v={fmtNum(w.sessions)} l="sessions" />
            <Num v={fmtPct(w.bounce_rate)} l="bounce rate" />
            <Num v={fmtDuration(w.avg_session_seconds * 1000)} l="average session" />
            <Num v={w.pages_per_session.toFixed(1)} l="pages per session" />
          </div>
          <div className="toplists">
            {lists.map(([k, title, unit, field]) => {
              const vs = (w[k] as WebCount[] | null) || [];
              if (vs.length === 0) return null;
              const max = Math.max(...vs.map((v) => v.count));
              return (
                <section key={k} className="toplist" aria-label={title}>
                  <h3>
                    {title} <span className="muted">{unit}</span>
                  </h3>
                  <ul>
                    {vs.map((v) => (
                      <li key={v.value}>
                        <span className="tbar" style={{ width: `${(v.count / max) * 100}%` }} />
                        <a href={href(['explore'], { ...keep(r), q: `kind:pageview ${term(field || 'name', v.value)}` })}>{v.value || '(none)'}</a>
                        <span className="fc">{fmtNum(v.count)}</span>
                      </li>
                    ))}
                  </ul>
                </section>
              );
            })}
          </div>
        </>
      )}
      </Figures>
    </div>
  );
}

function Num({ v, l }: { v: string; l: string }) {
  return (
    <div className="num">
      <b>{v}</b>
      <span>{l}</span>
    </div>
  );
}
