// ReplayView plays a session's recording (rrweb's Replayer, loaded in a
// chunk of its own the first time a replay is opened) beside the
// session's timeline: the story's lines — page views, clicks, each
// backend request's trace, errors, rage clicks — at their offsets in the
// replay. Clicking a line or a mark on the scrubber seeks the replay there;
// as it plays, the line at its position is highlighted (and the parent
// told, to highlight the same event in the story and the event list).
import { useEffect, useMemo, useRef, useState } from 'react';
import { get, type Playback, type Recording } from '../api';
import { activeLine, fmtOffset, lead, seekOffset, type TimelineLine } from '../replay';
import { href } from '../route';
import { fmtDuration } from '../util';
import { ErrorMessage, Loading } from './common';

/** The part of rrweb's Replayer the view uses. */
interface Player {
  wrapper: HTMLDivElement;
  iframe: HTMLIFrameElement;
  play(offset?: number): void;
  pause(offset?: number): void;
  getCurrentTime(): number;
  getMetaData(): { startTime: number; endTime: number; totalTime: number };
  setConfig(c: { speed?: number }): void;
  on(event: string, handler: (e?: unknown) => void): unknown;
  destroy(): void;
}

const speeds = [1, 2, 4, 8];

export function ReplayView({
  session,
  rec,
  lines,
  seekTo,
  onLine,
  onActive,
  linkParams,
}: {
  session: string;
  rec: Recording;
  lines: TimelineLine[];
  seekTo?: number; // ms since the epoch: open (or move) the replay at this moment
  onLine?: (ref: number) => void; // a line about a journey event was clicked
  onActive?: (ref: number) => void; // the journey event at the replay's position
  linkParams?: Record<string, string | undefined>; // kept on the trace links (the page's time range)
}) {
  const host = useRef<HTMLDivElement>(null);
  const list = useRef<HTMLOListElement>(null);
  const player = useRef<Player | null>(null);
  const [error, setError] = useState('');
  const [ready, setReady] = useState(false);
  const [playing, setPlaying] = useState(false);
  const [pos, setPos] = useState(0); // ms into the replay
  const [speed, setSpeed] = useState(1);
  const [meta, setMeta] = useState({ start: rec.start_ms, total: Math.max(0, rec.end_ms - rec.start_ms) });
  const seekRef = useRef(seekTo);
  seekRef.current = seekTo;

  // Load the recording and the player, and build the player on it.
  useEffect(() => {
    const ctl = new AbortController();
    let p: Player | null = null;
    let timer = 0;
    let resize: ResizeObserver | undefined;
    setReady(false);
    setError('');
    (async () => {
      const [doc, mod] = await Promise.all([
        get<Playback>(`/api/v1/replays/${encodeURIComponent(session)}/events`, undefined, ctl.signal),
        import('./replayer'),
      ]);
      if (ctl.signal.aborted || !host.current) return;
      if (doc.events.length < 2) throw new Error('the recording holds too little to play');
      host.current.replaceChildren();
      p = new mod.Replayer(doc.events as never, {
        root: host.current,
        skipInactive: true,
        showWarning: false,
        triggerFocus: false,
        mouseTail: { duration: 600, lineCap: 'round', lineWidth: 3, strokeStyle: '#e4572e' },
      }) as unknown as Player;
      player.current = p;
      const m = p.getMetaData();
      setMeta({ start: m.startTime, total: m.totalTime });
      const fit = () => {
        if (!p || !host.current) return;
        const w = Number(p.iframe.getAttribute('width')) || p.iframe.offsetWidth || 1280;
        const h = Number(p.iframe.getAttribute('height')) || p.iframe.offsetHeight || 800;
        const s = Math.min(1, host.current.clientWidth / w);
        p.wrapper.style.transform = `scale(${s})`;
        p.wrapper.style.transformOrigin = '0 0';
        host.current.style.height = `${Math.ceil(h * s)}px`;
      };
      p.on('resize', fit);
      p.on('finish', () => setPlaying(false));
      resize = new ResizeObserver(fit);
      resize.observe(host.current);
      fit();
      const at = seekRef.current;
      const off = at !== undefined ? seekOffset(at, m.startTime, m.totalTime) : 0;
      p.pause(off);
      setPos(off);
      timer = window.setInterval(() => p && setPos(p.getCurrentTime()), 150);
      setReady(true);
    })().catch((e: unknown) => {
      if (!ctl.signal.aborted) setError(`Cannot play the recording: ${e instanceof Error ? e.message : String(e)}`);
    });
    return () => {
      ctl.abort();
      window.clearInterval(timer);
      resize?.disconnect();
      p?.destroy();
      player.current = null;
    };
  }, [session]);

  const seek = (offset: number, play = playing) => {
    const p = player.current;
    if (!p) return;
    const off = Math.min(Math.max(0, offset), meta.total);
    if (play) p.play(off);
    else p.pause(off);
    setPos(off);
  };

  // Move when the moment asked for changes (a line of the story clicked).
  useEffect(() => {
    if (!ready || seekTo === undefined) return;
    const off = seekOffset(seekTo, meta.start, meta.total);
    if (Math.abs(off - (player.current?.getCurrentTime() ?? 0)) > 400) seek(off);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [seekTo, ready]);

  // The line at the position: the one the replay is showing or about to (seeks land a little before their line).
  const active = activeLine(lines, meta.start + pos + lead);
  const activeRef = useMemo(() => {
    for (let i = active; i >= 0; i--) if (lines[i].ref >= 0) return lines[i].ref;
    return -1;
  }, [active, lines]);
  useEffect(() => {
    if (ready) onActive?.(activeRef);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [activeRef, ready]);
  // Keep the active line in view inside the list (never scrolling the page).
  useEffect(() => {
    const box = list.current;
    const el = box?.querySelector<HTMLElement>('li.playing');
    if (!box || !el) return;
    if (el.offsetTop < box.scrollTop || el.offsetTop + el.offsetHeight > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, el.offsetTop - box.clientHeight / 3);
    }
  }, [active]);

  const toggle = () => {
    const p = player.current;
    if (!p) return;
    if (playing) {
      p.pause();
      setPlaying(false);
    } else {
      const from = pos >= meta.total - 50 ? 0 : pos;
      p.play(from);
      setPlaying(true);
    }
  };
  const changeSpeed = (s: number) => {
    setSpeed(s);
    player.current?.setConfig({ speed: s });
  };
  const frac = (ts: number) => (meta.total > 0 ? Math.min(1, Math.max(0, (ts - meta.start) / meta.total)) : 0);
  const s = rec.summary;

  return (
    <section className="replay" aria-label="session replay">
      <div className="replay-player">
        <div className="replay-head">
          <h3>Replay</h3>
          <span className="muted small">
            {fmtDuration(rec.end_ms - rec.start_ms)} · {rec.pages} page{rec.pages === 1 ? '' : 's'} · {rec.clicks} click{rec.clicks === 1 ? '' : 's'}
            {s?.errors ? ` · ${s.errors} error${s.errors === 1 ? '' : 's'}` : ''}
            {s?.detections?.length ? ` · ${s.detections.length} frustration${s.detections.length === 1 ? '' : 's'}` : ''}
            {rec.sealed ? '' : ' · still recording'}
          </span>
        </div>
        <ErrorMessage error={error} />
        <Loading on={!ready && !error} />
        <div className="replay-stage" ref={host} data-ready={ready ? 'true' : undefined} />
        <div className="replay-controls">
          <button type="button" onClick={toggle} disabled={!ready} aria-label={playing ? 'pause' : 'play'}>
            {playing ? '❚❚ pause' : '▶ play'}
          </button>
          <span className="replay-time" data-pos={Math.round(pos)}>
            {fmtOffset(pos)} / {fmtOffset(meta.total)}
          </span>
          <div
            className="replay-bar"
            role="slider"
            aria-label="replay position"
            aria-valuemin={0}
            aria-valuemax={Math.round(meta.total)}
            aria-valuenow={Math.round(pos)}
            tabIndex={0}
            onClick={(e) => {
              const r = e.currentTarget.getBoundingClientRect();
              seek(((e.clientX - r.left) / r.width) * meta.total);
            }}
            onKeyDown={(e) => {
              if (e.key === 'ArrowRight') seek(pos + 5000);
              if (e.key === 'ArrowLeft') seek(pos - 5000);
            }}
          >
            <div className="replay-fill" style={{ width: `${frac(meta.start + pos) * 100}%` }} />
            {lines
              .filter((l) => l.kind === 'error' || l.kind === 'frustration' || l.kind === 'warning' || l.kind === 'page')
              .map((l, i) => (
                <span
                  key={i}
                  className={`replay-mark mark-${l.kind}`}
                  style={{ left: `${frac(l.ts) * 100}%` }}
                  title={`${fmtOffset(l.ts - meta.start)} ${l.text}`}
                />
              ))}
          </div>
          <select value={speed} onChange={(e) => changeSpeed(Number(e.target.value))} aria-label="speed">
            {speeds.map((x) => (
              <option key={x} value={x}>
                {x}×
              </option>
            ))}
          </select>
        </div>
      </div>
      <div className="replay-timeline">
        <h3>Timeline: what the page did and what every service did</h3>
        <ol ref={list}>
          {lines.map((l, i) => (
            <li key={i} className={`rl rl-${l.kind}${i === active ? ' playing' : ''}`} data-ref={l.ref >= 0 ? l.ref : undefined}>
              <button
                type="button"
                className="rl-seek"
                onClick={() => {
                  seek(seekOffset(l.ts, meta.start, meta.total));
                  if (l.ref >= 0) onLine?.(l.ref);
                }}
                title="watch from here"
              >
                {fmtOffset(l.ts - meta.start)}
              </button>
              <span className="svc">{l.service}</span> <span className="rl-text">
                {l.text}
                {l.also?.length ? <span className="muted"> · then {l.also.join(', ')}</span> : null}
              </span>
              {l.trace && (
                <a className="rl-trace" href={href(['journey', 'trace', l.trace], { ...linkParams, at: new Date(l.ts).toISOString() })} title="the request's trace: every service, log and retry">
                  trace →
                </a>
              )}
            </li>
          ))}
        </ol>
      </div>
    </section>
  );
}
