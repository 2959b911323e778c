// Lore's browser SDK. It sends product events in PostHog's capture format
// (POST {host}/batch/ with the project key in the body, so that
// navigator.sendBeacon works without custom headers), which Lore decodes
// into its events table: page views (SPA navigation included), clicks,
// track, identify, sessions, uncaught errors with their stack, page-load
// timings. Each user action starts a W3C trace: fetch and XMLHttpRequest
// calls to allowed origins carry its traceparent, and so does the action's
// event, so the click and the backend's logs share one trace.
//
// Beside Sentry's browser SDK it joins the trace Sentry started (one trace
// id per request, whichever SDK wraps fetch first) and leaves errors to
// Sentry; beside posthog-js with the same key it leaves page views, clicks
// and errors to posthog-js and sends its own events as posthog-js's person
// and session, so nothing is counted twice.

import { Replay, type ReplayOptions } from "./recording";

export type { ReplayOptions } from "./recording";

export interface Options {
  /** Lore's base URL, e.g. "https://lore.example.com". Default: the page's origin. */
  host?: string;
  /** Send page views automatically, including SPA navigation. Default true. */
  autoPageviews?: boolean;
  /** Capture clicks on buttons, links and [data-lore-event] elements. Default true. */
  autocapture?: boolean;
  /** Capture uncaught errors and unhandled rejections. Default true. */
  captureErrors?: boolean;
  /** Origins (or RegExps) whose requests get a traceparent header. Default: the page's own origin. */
  tracePropagationTargets?: (string | RegExp)[];
  /** Milliseconds between sends of the queue. Default 1000. */
  flushInterval?: number;
  /** Events per request. Default 50. */
  batchSize?: number;
  /** Inactivity that ends a session, in ms. Default 30 minutes. */
  sessionTimeout?: number;
  /** Service name put on events. Default "browser". */
  service?: string;
  /**
   * Leave to the other SDKs on the page what they already send: page views,
   * clicks and errors to posthog-js sending with the same key, errors to
   * Sentry's SDK sending to the same host. Default true.
   */
  dedupe?: boolean;
  /**
   * Session recording (rrweb), when the project records sessions (its
   * capture settings): false never records; an object overrides the
   * project's sample rate and error rule. Inputs and text are masked
   * unless marked data-lore-unmask. Default true.
   */
  replay?: boolean | ReplayOptions;
}

type Props = Record<string, unknown>;

interface Message {
  event: string;
  distinct_id: string;
  timestamp: string;
  uuid: string;
  properties: Props;
  /** What an automatic event is ("pageview", "click", "error"); never sent. */
  auto?: string;
}

const STORAGE = "lore:";
const MAX_QUEUE = 1000;

function hex(bytes: number): string {
  const a = new Uint8Array(bytes);
  if (typeof crypto !== "undefined" && crypto.getRandomValues) crypto.getRandomValues(a);
  else for (let i = 0; i < bytes; i++) a[i] = Math.floor(Math.random() * 256);
  let s = "";
  for (let i = 0; i < a.length; i++) s += (a[i] < 16 ? "0" : "") + a[i].toString(16);
  return s;
}

function uuid(): string {
  const h = hex(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function load(key: string): string | null {
  try {
    return window.localStorage.getItem(STORAGE + key);
  } catch {
    return null;
  }
}

function save(key: string, value: string | null): void {
  try {
    if (value === null) window.localStorage.removeItem(STORAGE + key);
    else window.localStorage.setItem(STORAGE + key, value);
  } catch {
    /* storage full or disabled: keep going in memory */
  }
}

/** A trace started by a user action. */
interface Trace {
  traceId: string;
  spanId: string;
}

function traceparent(t: Trace, spanId = t.spanId): string {
  return `00-${t.traceId}-${spanId}-01`;
}

/** The trace of a sentry-trace header value ("trace-span[-sampled]"). */
function fromSentryTrace(v: string | null | undefined): Trace | undefined {
  const m = v && /^\s*([0-9a-f]{32})-([0-9a-f]{16})(?:-[01])?\s*$/.exec(v);
  return m ? { traceId: m[1], spanId: m[2] } : undefined;
}

/* eslint-disable @typescript-eslint/no-explicit-any */
/** Sentry's current scope, from the global carrier its SDKs share (v8+). */
function sentryScope(): any {
  const c = (window as any).__SENTRY__;
  const h = c && (c[c.version] || c);
  if (!h) return undefined;
  const top = h.stack && typeof h.stack.getStackTop === "function" && h.stack.getStackTop();
  return (top && top.scope) || h.defaultCurrentScope;
}

/** Sentry's client, when its SDK runs on the page. */
function sentryClient(): any {
  const c = (window as any).__SENTRY__;
  const h = c && (c[c.version] || c);
  const top = h && h.stack && typeof h.stack.getStackTop === "function" && h.stack.getStackTop();
  const scope = sentryScope();
  return (top && top.client) || (scope && (scope._client || (scope.getClient && scope.getClient())));
}

/**
 * The trace Sentry's browser SDK has started on this page (its active
 * span's, or its scope's propagation context), which Lore's SDK then
 * joins rather than starting another.
 */
function sentryTrace(): Trace | undefined {
  try {
    const scope = sentryScope();
    if (!scope) return undefined;
    const ref = scope.refs && scope.refs.span;
    const span = ref && (typeof ref.deref === "function" ? ref.deref() : ref);
    if (span && typeof span.spanContext === "function") {
      const sc = span.spanContext();
      if (sc && sc.traceId) return { traceId: sc.traceId, spanId: sc.spanId || hex(8) };
    }
    const pc = typeof scope.getPropagationContext === "function" && scope.getPropagationContext();
    if (pc && pc.traceId) return { traceId: pc.traceId, spanId: pc.propagationSpanId || pc.spanId || hex(8) };
  } catch {
    /* another version's carrier: no trace to join */
  }
  return undefined;
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Text, tag and a CSS selector of a clicked element. */
function describe(el: Element): Props {
  const parts: string[] = [];
  let e: Element | null = el;
  for (let depth = 0; e && e.nodeType === 1 && depth < 5; depth++, e = e.parentElement) {
    let p = e.tagName.toLowerCase();
    if (e.id) {
      parts.unshift(`${p}#${e.id}`);
      break;
    }
    const cls = (e.getAttribute("class") || "").trim().split(/\s+/).filter(Boolean).slice(0, 2);
    if (cls.length) p += "." + cls.join(".");
    parts.unshift(p);
  }
  const text = (el.textContent || "").replace(/\s+/g, " ").trim().slice(0, 100);
  const props: Props = { $el_text: text, $el_tag: el.tagName.toLowerCase(), $el_selector: parts.join(" > ") };
  const href = el.getAttribute("href");
  if (href) props.$el_href = href;
  return props;
}

export class Lore {
  private key = "";
  private host = "";
  private opts: Required<Omit<Options, "host">> = {
    autoPageviews: true,
    autocapture: true,
    captureErrors: true,
    tracePropagationTargets: [],
    flushInterval: 1000,
    batchSize: 50,
    sessionTimeout: 30 * 60 * 1000,
    service: "browser",
    dedupe: true,
    replay: true,
  };
  private recording: Replay | undefined;
  private queue: Message[] = [];
  private sending = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private trace: Trace | undefined;
  private lastPath = "";
  private started = false;

  /** Starts the SDK. Safe to call again with the same key. */
  init(key: string, options: Options = {}): this {
    this.key = key;
    this.host = (options.host || window.location.origin).replace(/\/+$/, "");
    const { host: _h, ...rest } = options;
    Object.assign(this.opts, rest);
    if (!this.opts.tracePropagationTargets.length) this.opts.tracePropagationTargets = [window.location.origin];
    this.queue = this.restoreQueue();
    if (this.started) return this;
    this.started = true;
    this.anonymousId();
    this.patchNetwork();
    if (this.opts.captureErrors) this.listenErrors();
    if (this.opts.autocapture) this.listenClicks();
    if (this.opts.autoPageviews) this.listenNavigation();
    this.listenLifecycle();
    this.timer = setInterval(() => void this.flush(), this.opts.flushInterval);
    if (this.opts.replay !== false && typeof origFetch === "function") {
      this.recording = new Replay(this.host, this.key, origFetch, () => this.who(), typeof this.opts.replay === "object" ? this.opts.replay : {});
      void this.recording.start();
    }
    return this;
  }

  /** Records a product event. */
  track(name: string, props: Props = {}): void {
    this.enqueue(name, props);
  }

  /** Ties this visitor (and their earlier anonymous events) to userId. */
  identify(userId: string, traits: Props = {}): void {
    if (!userId) return;
    const anon = this.anonymousId();
    save("user_id", userId);
    this.enqueue("$identify", { $anon_distinct_id: anon, $set: traits });
  }

  /** Forgets the user: a new anonymous id and session (call on logout). */
  reset(): void {
    save("user_id", null);
    save("anonymous_id", null);
    save("session", null);
    this.anonymousId();
  }

  /** The current trace's traceparent, for requests the SDK does not see. */
  traceparent(): string | undefined {
    const t = this.currentTrace();
    return t ? traceparent(t, hex(8)) : undefined;
  }

  /**
   * Starts a new trace, as a user action does; when Sentry's SDK has
   * started one on the page, that trace is joined instead, so both SDKs'
   * events and the backend's share one trace id.
   */
  startTrace(): Trace {
    const s = sentryTrace();
    this.trace = { traceId: s ? s.traceId : hex(16), spanId: hex(8) };
    return this.trace;
  }

  /** The trace requests join now: Sentry's if it runs, else the last action's. */
  private currentTrace(): Trace | undefined {
    const s = sentryTrace();
    if (s && (!this.trace || this.trace.traceId !== s.traceId)) this.trace = { traceId: s.traceId, spanId: hex(8) };
    return this.trace;
  }

  /** Sends the queue now; useBeacon when the page is going away. */
  async flush(useBeacon = false): Promise<void> {
    if (!this.queue.length || this.sending) return;
    const slice = this.queue.slice(0, this.opts.batchSize);
    const batch = this.prepare(slice);
    if (!batch.length) {
      this.drop(slice.length);
      return;
    }
    const body = JSON.stringify({ api_key: this.key, sent_at: new Date().toISOString(), batch });
    const url = this.host + "/batch/";
    if (useBeacon && navigator.sendBeacon) {
      if (navigator.sendBeacon(url, new Blob([body], { type: "text/plain" }))) this.drop(slice.length);
      return;
    }
    if (typeof navigator !== "undefined" && navigator.onLine === false) return; // retried when back online
    this.sending = true;
    try {
      const res = await origFetch(url, { method: "POST", body, headers: { "Content-Type": "text/plain" }, keepalive: body.length < 60000 });
      // 4xx other than 429 will not get better: drop the batch.
      if (res.ok || (res.status >= 400 && res.status < 500 && res.status !== 429)) this.drop(slice.length);
    } catch {
      /* offline or server down: keep the batch, retry on the next tick */
    } finally {
      this.sending = false;
    }
    if (this.queue.length >= this.opts.batchSize) void this.flush();
  }

  /**
   * The messages of slice as sent: without the automatic events another SDK
   * on the page already sends (dedupe), and, beside posthog-js, as
   * posthog-js's person and session when Lore's user is not identified.
   */
  private prepare(slice: Message[]): Message[] {
    const ph = this.opts.dedupe ? this.posthog() : undefined;
    const sentry = this.opts.dedupe && this.sentrySendsHere();
    const out: Message[] = [];
    for (const m of slice) {
      if ((ph && m.auto) || (sentry && m.auto === "error")) continue;
      const { auto: _auto, ...msg } = m;
      if (ph && ph.distinctId && !m.properties.$is_identified) {
        msg.distinct_id = ph.distinctId;
        msg.properties = { ...m.properties, $device_id: ph.deviceId || ph.distinctId, $is_identified: ph.identified };
        if (ph.sessionId) msg.properties.$session_id = ph.sessionId;
      }
      out.push(msg);
    }
    return out;
  }

  /**
   * posthog-js on this page sending with the same key: its live instance
   * (window.posthog) or its persistence (ph_KEY_posthog) touched within
   * the session timeout.
   */
  private posthog(): { distinctId?: string; deviceId?: string; sessionId?: string; identified: boolean } | undefined {
    /* eslint-disable @typescript-eslint/no-explicit-any */
    const inst = (window as any).posthog;
    try {
      if (inst && inst.__loaded && inst.config && inst.config.token === this.key && typeof inst.get_distinct_id === "function") {
        return {
          distinctId: inst.get_distinct_id(),
          deviceId: typeof inst.get_property === "function" ? inst.get_property("$device_id") : undefined,
          sessionId: typeof inst.get_session_id === "function" ? inst.get_session_id() : undefined,
          identified: typeof inst._isIdentified === "function" ? !!inst._isIdentified() : false,
        };
      }
    } catch {
      /* fall back to its persistence */
    }
    const name = `ph_${this.key}_posthog`;
    let raw: string | null = null;
    try {
      raw = window.localStorage.getItem(name);
    } catch {
      raw = null;
    }
    if (!raw) {
      const c = document.cookie.split("; ").find((kv) => kv.startsWith(name + "="));
      raw = c ? decodeURIComponent(c.slice(name.length + 1)) : null;
    }
    if (!raw) return undefined;
    try {
      const p: any = JSON.parse(raw);
      const ses = Array.isArray(p.$sesid) ? p.$sesid : [];
      if (!(typeof ses[0] === "number" && Date.now() - ses[0] < this.opts.sessionTimeout)) return undefined;
      return { distinctId: p.distinct_id, deviceId: p.$device_id, sessionId: ses[1], identified: p.$user_state === "identified" };
    } catch {
      return undefined;
    }
    /* eslint-enable @typescript-eslint/no-explicit-any */
  }

  /** Whether Sentry's SDK on this page sends its errors to this Lore. */
  private sentrySendsHere(): boolean {
    try {
      const client = sentryClient();
      const dsn = client && typeof client.getOptions === "function" && client.getOptions().dsn;
      return !!dsn && new URL(dsn).host === new URL(this.host).host;
    } catch {
      return false;
    }
  }

  private drop(n: number): void {
    this.queue.splice(0, n);
    this.persistQueue();
  }

  private restoreQueue(): Message[] {
    try {
      const q = JSON.parse(load("queue") || "[]");
      return Array.isArray(q) ? q.concat(this.queue) : this.queue;
    } catch {
      return this.queue;
    }
  }

  private persistQueue(): void {
    save("queue", this.queue.length ? JSON.stringify(this.queue) : null);
  }

  private anonymousId(): string {
    let id = load("anonymous_id");
    if (!id) {
      id = uuid();
      save("anonymous_id", id);
    }
    return id;
  }

  /** The session's recording, when it is recorded (its counters, flush). */
  get replay(): Replay | undefined {
    return this.recording;
  }

  /** Who the page's person and session are now, without renewing the session (the recorder asks). */
  private who(): { sessionId: string; userId?: string; anonymousId?: string } | undefined {
    let s: { id: string; last: number } | null = null;
    try {
      s = JSON.parse(load("session") || "null");
    } catch {
      s = null;
    }
    if (!s || Date.now() - s.last > this.opts.sessionTimeout) s = { id: this.sessionId(), last: Date.now() };
    return { sessionId: s.id, userId: load("user_id") || undefined, anonymousId: this.anonymousId() };
  }

  /** The session id, renewed after sessionTimeout of inactivity. */
  private sessionId(): string {
    const now = Date.now();
    let s: { id: string; last: number } | null = null;
    try {
      s = JSON.parse(load("session") || "null");
    } catch {
      s = null;
    }
    if (!s || now - s.last > this.opts.sessionTimeout) s = { id: uuid(), last: now };
    s.last = now;
    save("session", JSON.stringify(s));
    return s.id;
  }

  private enqueue(event: string, props: Props, trace?: Trace, auto?: string): void {
    const user = load("user_id");
    const anon = this.anonymousId();
    const t = trace || this.trace;
    const properties: Props = {
      $session_id: this.sessionId(),
      $device_id: anon,
      $is_identified: !!user,
      $current_url: window.location.href,
      $pathname: window.location.pathname,
      $referrer: document.referrer,
      $title: document.title,
      $lib: "lore-js",
      $lib_version: "0.1.0",
      service: this.opts.service,
      ...props,
    };
    if (t) properties.traceparent = traceparent(t);
    const msg: Message = { event, distinct_id: user || anon, timestamp: new Date().toISOString(), uuid: uuid(), properties };
    if (auto) msg.auto = auto;
    this.queue.push(msg);
    if (this.queue.length > MAX_QUEUE) this.queue.splice(0, this.queue.length - MAX_QUEUE);
    this.persistQueue();
    if (this.queue.length >= this.opts.batchSize) void this.flush();
  }

  private pageview(): void {
    const path = window.location.pathname + window.location.search;
    if (path === this.lastPath) return;
    this.lastPath = path;
    this.enqueue("$pageview", {}, this.startTrace(), "pageview");
    if (this.recording) this.recording.navigate(window.location.href);
  }

  private listenNavigation(): void {
    const h = window.history;
    for (const m of ["pushState", "replaceState"] as const) {
      const orig = h[m];
      h[m] = function (this: History, ...args: Parameters<History["pushState"]>) {
        const r = orig.apply(this, args);
        window.dispatchEvent(new Event("lore:navigate"));
        return r;
      };
    }
    const on = () => this.pageview();
    window.addEventListener("popstate", on);
    window.addEventListener("lore:navigate", on);
    if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", on);
    else on();
  }

  private listenClicks(): void {
    document.addEventListener(
      "click",
      (ev) => {
        let el = ev.target as Element | null;
        while (el && el.nodeType === 1 && !el.matches("a, button, input[type=submit], input[type=button], [data-lore-event], [role=button]")) el = el.parentElement;
        if (!el || el.nodeType !== 1) return;
        const props = describe(el);
        const name = el.getAttribute("data-lore-event");
        // The click starts a trace before the page's handlers run (capture
        // phase), so the requests they make carry it.
        this.enqueue(name || "$autocapture", { $event_type: "click", ...props }, this.startTrace(), name ? undefined : "click");
      },
      true,
    );
  }

  private listenErrors(): void {
    window.addEventListener("error", (ev: ErrorEvent) => {
      const err = ev.error as Error | undefined;
      this.enqueue(
        "$exception",
        {
          $exception_type: (err && err.name) || "Error",
          $exception_message: (err && err.message) || ev.message,
          $exception_stack: (err && err.stack) || `${ev.filename}:${ev.lineno}:${ev.colno}`,
        },
        undefined,
        "error",
      );
    });
    window.addEventListener("unhandledrejection", (ev: PromiseRejectionEvent) => {
      const r = ev.reason;
      const isErr = r instanceof Error;
      this.enqueue(
        "$exception",
        {
          $exception_type: isErr ? r.name : "UnhandledRejection",
          $exception_message: isErr ? r.message : String(r),
          $exception_stack: isErr ? r.stack : undefined,
          $exception_handled: false,
        },
        undefined,
        "error",
      );
    });
  }

  private listenLifecycle(): void {
    const bye = () => void this.flush(true);
    window.addEventListener("pagehide", bye);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") bye();
    });
    window.addEventListener("online", () => void this.flush());
    const timings = () => {
      const nav = performance.getEntriesByType && (performance.getEntriesByType("navigation")[0] as PerformanceNavigationTiming | undefined);
      if (!nav) return;
      this.enqueue("$pageload", {
        ttfb_ms: Math.round(nav.responseStart - nav.startTime),
        dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd - nav.startTime),
        load_ms: Math.round(nav.loadEventEnd - nav.startTime || nav.duration),
        transfer_bytes: nav.transferSize,
      });
    };
    if (document.readyState === "complete") setTimeout(timings, 0);
    else window.addEventListener("load", () => setTimeout(timings, 0));
  }

  private allowed(url: string): boolean {
    let u: URL;
    try {
      u = new URL(url, window.location.href);
    } catch {
      return false;
    }
    // Lore's own ingest routes (its SDK's, posthog-js's, Sentry's, Segment's) carry no trace.
    if (u.origin === new URL(this.host).origin && /^\/(batch|e|capture|i|s|flags|decide|array|static|v1)(\/|$)|^\/api\/\d+\/(envelope|store)\/|^\/api\/v1\/replay/.test(u.pathname)) return false;
    return this.opts.tracePropagationTargets.some((t) => (typeof t === "string" ? u.origin === t || u.href.startsWith(t) : t.test(u.href)));
  }

  private patchNetwork(): void {
    const self = this;
    if (typeof window.fetch === "function") {
      // The fetch being wrapped: another SDK's wrapper (Sentry's) when it
      // initialised first, so both instrument the page's requests.
      const inner = window.fetch;
      window.fetch = function (input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        if (self.allowed(url)) {
          const headers = new Headers((init && init.headers) || (input instanceof Request ? input.headers : undefined));
          if (!headers.has("traceparent")) {
            // Inside Sentry's fetch, its sentry-trace names the trace and
            // the request's span: the traceparent says the same.
            const st = fromSentryTrace(headers.get("sentry-trace"));
            const t = st || self.currentTrace();
            if (t) {
              headers.set("traceparent", traceparent(t, st ? st.spanId : hex(8)));
              init = { ...init, headers };
              if (self.recording) self.recording.request((init && init.method) || (input instanceof Request ? input.method : "GET"), url, t.traceId);
            }
          }
        }
        return inner.call(window, input, init);
      };
    }
    const open = XMLHttpRequest.prototype.open;
    const send = XMLHttpRequest.prototype.send;
    const setHeader = XMLHttpRequest.prototype.setRequestHeader;
    type XHR = XMLHttpRequest & { __loreURL?: string; __loreMethod?: string; __loreTP?: boolean; __loreST?: string };
    XMLHttpRequest.prototype.setRequestHeader = function (this: XHR, name: string, value: string) {
      const n = name.toLowerCase();
      if (n === "traceparent") this.__loreTP = true;
      if (n === "sentry-trace") this.__loreST = value;
      return setHeader.call(this, name, value);
    };
    XMLHttpRequest.prototype.open = function (this: XHR, method: string, url: string | URL, ...rest: unknown[]) {
      this.__loreURL = String(url);
      this.__loreMethod = method;
      return (open as (...a: unknown[]) => void).call(this, method, url, ...rest);
    } as typeof XMLHttpRequest.prototype.open;
    XMLHttpRequest.prototype.send = function (this: XHR, body?: Document | XMLHttpRequestBodyInit | null) {
      if (!this.__loreTP && this.__loreURL && self.allowed(this.__loreURL)) {
        const st = fromSentryTrace(this.__loreST);
        const t = st || self.currentTrace();
        if (t) {
          this.setRequestHeader("traceparent", traceparent(t, st ? st.spanId : hex(8)));
          if (self.recording) self.recording.request(this.__loreMethod || "GET", this.__loreURL, t.traceId);
        }
      }
      return send.call(this, body);
    };
  }
}

// The page's own fetch, kept before patching so the SDK's sends carry no
// traceparent.
const origFetch: typeof fetch = typeof window !== "undefined" && window.fetch ? window.fetch.bind(window) : (undefined as unknown as typeof fetch);

const instance = new Lore();

/** Starts the SDK: init("INGEST_KEY", { host: "https://lore.example.com" }). */
export const init = (key: string, options?: Options) => instance.init(key, options);
/** Records a product event. */
export const track = (name: string, props?: Props) => instance.track(name, props);
/** Ties this visitor to a user id. */
export const identify = (userId: string, traits?: Props) => instance.identify(userId, traits);
/** Forgets the user (on logout). */
export const reset = () => instance.reset();
/** Sends queued events now. */
export const flush = () => instance.flush();
/** The traceparent of the current user action, if any. */
export const currentTraceparent = () => instance.traceparent();
export default instance;
