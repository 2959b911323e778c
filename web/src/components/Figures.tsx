// Figures: a panel of figures that loads produce. While a new load is under
// way the previous figures stay on screen (the page does not flash), but
// they belong to the previous time range or query: as Grafana and Kibana
// do, the panel says so. It is aria-busy while any of its loads runs, and
// while figures of an earlier load are shown it is dimmed (class "stale")
// with a thin bar sweeping along its top edge (and "updating…" for screen
// readers), until the new figures are in. A refresh of the same range or
// query (Explore's live tail redraws its histogram every 10 s) is not stale:
// the panel is aria-busy and the bar sweeps along its top (class
// "refreshing"), but the figures are not dimmed, so a panel refreshed every
// few seconds does not flicker.
import { useCallback, useState, type ReactNode } from 'react';
import { LoadReports, type LoadReport, type Loaded } from '../util';

interface Inner {
  busy: boolean;
  shown: boolean;
  refresh?: boolean;
}

/**
 * Figures wraps a panel. Its loads are those given (loads made above it,
 * by the page) and every useLoad inside it, which reports here by itself.
 * className is the panel's own (the wrapper is the panel's element, so a
 * grid or flex layout is kept); label names it for assistive technology.
 */
export function Figures({ loads = [], className, label, children }: { loads?: Loaded<unknown>[]; className?: string; label?: string; children?: ReactNode }) {
  const [inner, setInner] = useState<ReadonlyMap<object, Inner>>(new Map());
  const report: LoadReport = useCallback((id, st) => {
    setInner((m) => {
      const was = m.get(id);
      if (st ? was && was.busy === st.busy && was.shown === st.shown && !!was.refresh === !!st.refresh : !was) return m;
      const n = new Map(m);
      if (st) n.set(id, st);
      else n.delete(id);
      return n;
    });
  }, []);
  const all: Inner[] = [...loads.map((l) => ({ busy: l.loading, shown: l.data !== undefined, refresh: l.refresh })), ...inner.values()];
  const busy = all.some((l) => l.busy);
  const shown = all.some((l) => l.shown);
  // Dimmed only when something is shown that a load of another range or query will replace.
  const stale = shown && all.some((l) => l.busy && !l.refresh);
  // Refreshed: what is shown is of the same range; only newer figures are coming.
  const refreshing = shown && busy && !stale;
  return (
    <LoadReports.Provider value={report}>
      <div
        className={['figures', className, stale ? 'stale' : '', refreshing ? 'refreshing' : ''].filter(Boolean).join(' ')}
        aria-busy={busy}
        role={label ? 'group' : undefined}
        aria-label={label}
      >
        {stale && (
          <span className="updating" title="These figures are of the previous range or query; the new ones are loading">
            <span className="sr">updating…</span>
          </span>
        )}
        {refreshing && (
          <span className="updating" title="Refreshing these figures: newer events of the same range are loading">
            <span className="sr">refreshing…</span>
          </span>
        )}
        {children}
      </div>
    </LoadReports.Provider>
  );
}
