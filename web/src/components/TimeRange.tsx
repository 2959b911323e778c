// The time picker, like Grafana's: quick ranges (including "today so far"
// and "yesterday"), an absolute from/to typed or picked on a calendar,
// zoom out, shift back and forth, and the one time-zone setting. The
// range lives in the URL (from, to), so every link can carry it.
import { useEffect, useRef, useState } from 'react';
import { navigate, withParams, type Route } from '../route';
import {
  bounds,
  browserZone,
  defaultFrom,
  fromParts,
  partsOf,
  parseInput,
  quickRanges,
  rangeLabel,
  resolve,
  setZone,
  shift,
  startOfDay,
  toInput,
  useZone,
  zoomOut,
  type RawRange,
} from '../time';

export { defaultFrom };

/** rawRangeOf is the range as the URL spells it. */
export function rawRangeOf(r: Route): RawRange {
  return { from: r.params.get('from') || defaultFrom, to: r.params.get('to') || 'now' };
}

/** rangeOf is the range to send to the API: "today" and "yesterday" resolved in the zone setting. */
export function rangeOf(r: Route): RawRange {
  return resolve(rawRangeOf(r));
}

function go(r: Route, x: RawRange) {
  navigate(withParams(r, { from: x.from, to: x.to === 'now' ? undefined : x.to }));
}

export function TimeRange({ r }: { r: Route }) {
  const raw = rawRangeOf(r);
  const z = useZone();
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const off = (e: MouseEvent) => box.current && !box.current.contains(e.target as Node) && setOpen(false);
    const esc = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    document.addEventListener('mousedown', off);
    document.addEventListener('keydown', esc);
    return () => {
      document.removeEventListener('mousedown', off);
      document.removeEventListener('keydown', esc);
    };
  }, [open]);
  const label = rangeLabel(raw);
  return (
    <div className="range" ref={box}>
      <button type="button" className="plain icon" aria-label="shift back" title="Move the range back by half its length" onClick={() => go(r, shift(raw, -1))}>
        ‹
      </button>
      <button type="button" className="range-open" aria-label="time range" aria-expanded={open} title={`${label} (${z === 'utc' ? 'UTC' : browserZone()})`} onClick={() => setOpen(!open)}>
        <span className="range-label">{label}</span>
        <span className="range-zone">{z === 'utc' ? 'UTC' : 'local'}</span>
      </button>
      <button type="button" className="plain icon" aria-label="shift forward" title="Move the range forward by half its length" onClick={() => go(r, shift(raw, 1))}>
        ›
      </button>
      <button type="button" className="plain icon" aria-label="zoom out" title="Zoom out: twice the range" onClick={() => go(r, zoomOut(raw))}>
        ⊖
      </button>
      {open && (
        <RangePanel
          raw={raw}
          onPick={(x) => {
            go(r, x);
            setOpen(false);
          }}
        />
      )}
    </div>
  );
}

function RangePanel({ raw, onPick }: { raw: RawRange; onPick: (x: RawRange) => void }) {
  const z = useZone();
  const [a, b] = bounds(raw);
  const [from, setFrom] = useState(raw.from.startsWith('now') ? raw.from : toInput(a));
  const [to, setTo] = useState(raw.to === 'now' || raw.from === 'today' ? 'now' : toInput(b));
  const [err, setErr] = useState('');
  // The calendar picks a day range: the first click its start, the second its end.
  const [picking, setPicking] = useState<number | undefined>();
  const apply = () => {
    const f = parseInput(from);
    const t = parseInput(to);
    if (!f) return setErr(`cannot read "${from}": write 2026-12-04 10:00, or now-1h`);
    if (!t) return setErr(`cannot read "${to}": write 2026-12-04 12:00, or now`);
    const [fa, tb] = bounds({ from: f, to: t });
    if (!(fa < tb)) return setErr('from must be before to');
    onPick({ from: f, to: t });
  };
  return (
    <div className="range-panel" role="dialog" aria-label="time range picker">
      <form
        className="range-abs"
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <h4>Absolute range</h4>
        <label>
          From
          <input aria-label="from" value={from} onChange={(e) => setFrom(e.target.value)} placeholder="2026-12-04 10:00:00 or now-6h" />
        </label>
        <label>
          To
          <input aria-label="to" value={to} onChange={(e) => setTo(e.target.value)} placeholder="2026-12-04 12:00:00 or now" />
        </label>
        <Calendar
          start={picking ?? a}
          end={picking !== undefined ? picking : b}
          onDay={(day) => {
            if (picking === undefined || day < picking) {
              setPicking(day);
              setFrom(toInput(day));
              setTo(toInput(endOfDay(day)));
            } else {
              setFrom(toInput(picking));
              setTo(toInput(endOfDay(day)));
              setPicking(undefined);
            }
          }}
        />
        {err && <div className="range-err">{err}</div>}
        <button type="submit">Apply time range</button>
      </form>
      <div className="range-quick">
        <h4>Quick ranges</h4>
        <ul>
          {quickRanges.map(([v, l]) => (
            <li key={v}>
              <button type="button" className={`plain${raw.from === v && (raw.to === 'now' || v === 'yesterday') ? ' active' : ''}`} onClick={() => onPick({ from: v, to: 'now' })}>
                {l}
              </button>
            </li>
          ))}
        </ul>
        <h4>Time zone</h4>
        <label className="zone">
          <input type="radio" name="zone" checked={z === 'utc'} onChange={() => setZone('utc')} /> UTC
        </label>
        <label className="zone">
          <input type="radio" name="zone" checked={z === 'browser'} onChange={() => setZone('browser')} /> Browser ({browserZone()})
        </label>
      </div>
    </div>
  );
}

function endOfDay(day: number): number {
  const p = partsOf(day);
  return fromParts({ y: p.y, mo: p.mo, d: p.d, h: 23, mi: 59, s: 59 });
}

const weekdays = ['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su'];

/** Calendar is a month of days in the zone setting; the range's days are marked. */
function Calendar({ start, end, onDay }: { start: number; end: number; onDay: (dayStart: number) => void }) {
  const init = partsOf(isNaN(end) ? Date.now() : end);
  const [month, setMonth] = useState({ y: init.y, mo: init.mo });
  const first = fromParts({ y: month.y, mo: month.mo, d: 1, h: 12, mi: 0, s: 0 });
  const lead = (new Date(Date.UTC(month.y, month.mo - 1, 1)).getUTCDay() + 6) % 7;
  const days = new Date(Date.UTC(month.y, month.mo, 0)).getUTCDate();
  const today = startOfDay(Date.now());
  const s0 = startOfDay(start);
  const e0 = startOfDay(end);
  const cells: (number | undefined)[] = [...Array(lead).fill(undefined)];
  for (let d = 1; d <= days; d++) cells.push(fromParts({ y: month.y, mo: month.mo, d, h: 0, mi: 0, s: 0 }));
  const step = (k: number) => {
    const m = month.mo - 1 + k;
    setMonth({ y: month.y + Math.floor(m / 12), mo: ((m % 12) + 12) % 12 + 1 });
  };
  return (
    <div className="cal" aria-label="calendar">
      <div className="cal-head">
        <button type="button" className="plain" aria-label="previous month" onClick={() => step(-1)}>
          ‹
        </button>
        <span>{new Date(first).toLocaleDateString('en-US', { month: 'long', year: 'numeric', timeZone: 'UTC' })}</span>
        <button type="button" className="plain" aria-label="next month" onClick={() => step(1)}>
          ›
        </button>
      </div>
      <div className="cal-grid">
        {weekdays.map((w) => (
          <span key={w} className="cal-wd">
            {w}
          </span>
        ))}
        {cells.map((d, i) =>
          d === undefined ? (
            <span key={i} />
          ) : (
            <button
              key={i}
              type="button"
              className={`cal-day${d >= s0 && d <= e0 ? ' in' : ''}${d === today ? ' today' : ''}`}
              disabled={d > today}
              onClick={() => onDay(d)}
              aria-label={toInput(d).slice(0, 10)}
            >
              {partsOf(d).d}
            </button>
          ),
        )}
      </div>
    </div>
  );
}
