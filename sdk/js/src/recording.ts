// Session recording, as the SDK decides it: the project's settings come
// from Lore (GET /api/v1/replay/config); each session is recorded from its
// start with the project's sample rate, or, when not sampled and the
// project keeps "sessions that hit an error", buffered in memory (the last
// minute) and recorded from the first error on. Only then is the recorder
// (replay.ts, a chunk of its own) loaded: pages that do not record pay for
// one small configuration request, cached by the browser.
import type { Identity, Recorder, RecorderModule } from "./replay-types";

/** Set by the build: true in lore.mjs (the recorder is imported as ./lore-replay.mjs), false in lore.js. */
declare const LORE_ESM: boolean;

export interface ReplayOptions {
  /** Share of sessions recorded from their start, overriding the project's (0–1). */
  sampleRate?: number;
  /** Keep the sessions not sampled that hit an error, overriding the project's. */
  onError?: boolean;
  /** Milliseconds between uploads. Default 5000. */
  flushInterval?: number;
}

interface ServerConfig {
  enabled: boolean;
  sample_rate: number;
  on_error: boolean;
  endpoint: string;
  max_chunk_bytes: number;
}

type Mode = "record" | "buffer" | "off";

const STATE = "lore:replay";

/** Loads the recorder chunk: imported by the ESM build, a script from Lore for the script-tag build. */
function loadRecorder(host: string): Promise<RecorderModule> {
  if (LORE_ESM) return import("./lore-replay.mjs");
  const w = window as unknown as { __loreRecorder?: RecorderModule };
  if (w.__loreRecorder) return Promise.resolve(w.__loreRecorder);
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = host + "/sdk-replay.js";
    s.async = true;
    s.onload = () => (w.__loreRecorder ? resolve(w.__loreRecorder) : reject(new Error("lore: recorder did not load")));
    s.onerror = () => reject(new Error("lore: cannot load " + s.src));
    (document.head || document.documentElement).appendChild(s);
  });
}

export class Replay {
  private rec?: Recorder;
  private mode: Mode = "off";
  private early: [string, Record<string, unknown>][] = []; // custom events before the recorder runs
  private started = false;
  private settled = false; // start() is done: recording, or not

  constructor(
    private host: string,
    private key: string,
    private fetchFn: typeof fetch,
    private identity: () => Identity | undefined,
    private opts: ReplayOptions,
  ) {
    // Errors reach the recording whatever the SDK's captureErrors says.
    window.addEventListener("error", (ev: ErrorEvent) => {
      const err = ev.error as Error | undefined;
      this.error((err && err.name) || "Error", (err && err.message) || ev.message || "");
    });
    window.addEventListener("unhandledrejection", (ev: PromiseRejectionEvent) => {
      const r = ev.reason;
      this.error(r instanceof Error ? r.name : "UnhandledRejection", r instanceof Error ? r.message : String(r));
    });
  }

  /** Asks Lore whether to record and starts the recorder if so. */
  async start(): Promise<void> {
    if (this.started || typeof window === "undefined") return;
    this.started = true;
    try {
      await this.begin();
    } finally {
      this.settled = true;
      if (!this.rec) this.early = [];
    }
  }

  private async begin(): Promise<void> {
    let cfg: ServerConfig;
    try {
      const res = await this.fetchFn(`${this.host}/api/v1/replay/config?key=${encodeURIComponent(this.key)}`, { credentials: "omit" });
      if (!res.ok) return;
      cfg = await res.json();
    } catch {
      return;
    }
    if (!cfg.enabled) return;
    const id = this.identity();
    if (!id) return;
    this.mode = this.decide(id.sessionId, this.opts.sampleRate ?? cfg.sample_rate, this.opts.onError ?? cfg.on_error);
    if (this.mode === "off") return;
    let mod: RecorderModule;
    try {
      mod = await loadRecorder(this.host);
    } catch {
      return;
    }
    this.rec = mod.start({
      endpoint: `${this.host}${cfg.endpoint}?key=${encodeURIComponent(this.key)}`,
      fetch: this.fetchFn,
      identity: this.identity,
      mode: this.mode,
      flushInterval: this.opts.flushInterval || 5000,
      chunkBytes: Math.min(512 * 1024, cfg.max_chunk_bytes * 4),
      maxBufferedBytes: 8 * 1024 * 1024,
      bufferMs: 60000,
      onStop: () => this.remember(id.sessionId, "off"),
    });
    for (const [tag, payload] of this.early) this.rec.custom(tag, payload);
    this.early = [];
  }

  /** The session's mode, decided once per session and kept across its pages. */
  private decide(session: string, rate: number, onError: boolean): Mode {
    try {
      const s = JSON.parse(window.localStorage.getItem(STATE) || "null");
      if (s && s.s === session && (s.m === "record" || s.m === "buffer" || s.m === "off")) return s.m;
    } catch {
      /* no storage: decide for this page */
    }
    const m: Mode = Math.random() < rate ? "record" : onError ? "buffer" : "off";
    this.remember(session, m);
    return m;
  }

  private remember(session: string, m: Mode) {
    try {
      window.localStorage.setItem(STATE, JSON.stringify({ s: session, m }));
    } catch {
      /* storage full or disabled */
    }
  }

  private custom(tag: string, payload: Record<string, unknown>) {
    if (this.rec) this.rec.custom(tag, payload);
    else if (!this.settled && this.early.length < 50) this.early.push([tag, payload]);
  }

  /** An uncaught error: into the recording, and a buffered session is recorded from now on (with the minute before). */
  private error(type: string, message: string): void {
    this.custom("lore.error", { type, message: message.slice(0, 500) });
    if (this.mode === "buffer" && this.rec) {
      this.mode = "record";
      const id = this.identity();
      if (id) this.remember(id.sessionId, "record");
      this.rec.record();
    }
  }

  /** A request the page made with the trace it carried, which ties the recording to the backend's story. */
  request(method: string, url: string, traceId: string): void {
    this.custom("lore.request", { method, url: url.slice(0, 300), trace_id: traceId });
  }

  /** A page view without a page load (SPA navigation), which rrweb does not record. */
  navigate(href: string): void {
    this.custom("lore.navigate", { href });
  }

  /** Uploads what is recorded now (tests, and pages about to navigate). */
  flush(): Promise<void> {
    return this.rec ? this.rec.flush() : Promise.resolve();
  }

  /** The recorder's counters, when it runs. */
  stats() {
    return this.rec ? this.rec.stats() : undefined;
  }
}
