// src/recording.ts
var STATE = "lore:replay";
function loadRecorder(host) {
  if (true) return import("./lore-replay.mjs");
  const w = window;
  if (w.__loreRecorder) return Promise.resolve(w.__loreRecorder);
  return new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = host + "/sdk-replay.js";
    s.async = true;
    s.onload = () => w.__loreRecorder ? resolve(w.__loreRecorder) : reject(new Error("lore: recorder did not load"));
    s.onerror = () => reject(new Error("lore: cannot load " + s.src));
    (document.head || document.documentElement).appendChild(s);
  });
}
var Replay = class {
  // start() is done: recording, or not
  constructor(host, key, fetchFn, identity, opts) {
    this.host = host;
    this.key = key;
    this.fetchFn = fetchFn;
    this.identity = identity;
    this.opts = opts;
    this.mode = "off";
    this.early = [];
    // custom events before the recorder runs
    this.started = false;
    this.settled = false;
    window.addEventListener("error", (ev) => {
      const err = ev.error;
      this.error(err && err.name || "Error", err && err.message || ev.message || "");
    });
    window.addEventListener("unhandledrejection", (ev) => {
      const r = ev.reason;
      this.error(r instanceof Error ? r.name : "UnhandledRejection", r instanceof Error ? r.message : String(r));
    });
  }
  /** Asks Lore whether to record and starts the recorder if so. */
  async start() {
    if (this.started || typeof window === "undefined") return;
    this.started = true;
    try {
      await this.begin();
    } finally {
      this.settled = true;
      if (!this.rec) this.early = [];
    }
  }
  async begin() {
    var _a, _b;
    let cfg;
    try {
      const res = await this.fetchFn(`${this.host}/api/v1/replay/config?key=${encodeURIComponent(this.key)}`, { credentials: "omit" });
      if (!res.ok) return;
      cfg = await res.json();
    } catch (e) {
      return;
    }
    if (!cfg.enabled) return;
    const id = this.identity();
    if (!id) return;
    this.mode = this.decide(id.sessionId, (_a = this.opts.sampleRate) != null ? _a : cfg.sample_rate, (_b = this.opts.onError) != null ? _b : cfg.on_error);
    if (this.mode === "off") return;
    let mod;
    try {
      mod = await loadRecorder(this.host);
    } catch (e) {
      return;
    }
    this.rec = mod.start({
      endpoint: `${this.host}${cfg.endpoint}?key=${encodeURIComponent(this.key)}`,
      fetch: this.fetchFn,
      identity: this.identity,
      mode: this.mode,
      flushInterval: this.opts.flushInterval || 5e3,
      chunkBytes: Math.min(512 * 1024, cfg.max_chunk_bytes * 4),
      maxBufferedBytes: 8 * 1024 * 1024,
      bufferMs: 6e4,
      onStop: () => this.remember(id.sessionId, "off")
    });
    for (const [tag, payload] of this.early) this.rec.custom(tag, payload);
    this.early = [];
  }
  /** The session's mode, decided once per session and kept across its pages. */
  decide(session, rate, onError) {
    try {
      const s = JSON.parse(window.localStorage.getItem(STATE) || "null");
      if (s && s.s === session && (s.m === "record" || s.m === "buffer" || s.m === "off")) return s.m;
    } catch (e) {
    }
    const m = Math.random() < rate ? "record" : onError ? "buffer" : "off";
    this.remember(session, m);
    return m;
  }
  remember(session, m) {
    try {
      window.localStorage.setItem(STATE, JSON.stringify({ s: session, m }));
    } catch (e) {
    }
  }
  custom(tag, payload) {
    if (this.rec) this.rec.custom(tag, payload);
    else if (!this.settled && this.early.length < 50) this.early.push([tag, payload]);
  }
  /** An uncaught error: into the recording, and a buffered session is recorded from now on (with the minute before). */
  error(type, message) {
    this.custom("lore.error", { type, message: message.slice(0, 500) });
    if (this.mode === "buffer" && this.rec) {
      this.mode = "record";
      const id = this.identity();
      if (id) this.remember(id.sessionId, "record");
      this.rec.record();
    }
  }
  /** A request the page made with the trace it carried, which ties the recording to the backend's story. */
  request(method, url, traceId) {
    this.custom("lore.request", { method, url: url.slice(0, 300), trace_id: traceId });
  }
  /** A page view without a page load (SPA navigation), which rrweb does not record. */
  navigate(href) {
    this.custom("lore.navigate", { href });
  }
  /** Uploads what is recorded now (tests, and pages about to navigate). */
  flush() {
    return this.rec ? this.rec.flush() : Promise.resolve();
  }
  /** The recorder's counters, when it runs. */
  stats() {
    return this.rec ? this.rec.stats() : void 0;
  }
};

// src/index.ts
var STORAGE = "lore:";
var MAX_QUEUE = 1e3;
function hex(bytes) {
  const a = new Uint8Array(bytes);
  if (typeof crypto !== "undefined" && crypto.getRandomValues) crypto.getRandomValues(a);
  else for (let i = 0; i < bytes; i++) a[i] = Math.floor(Math.random() * 256);
  let s = "";
  for (let i = 0; i < a.length; i++) s += (a[i] < 16 ? "0" : "") + a[i].toString(16);
  return s;
}
function uuid() {
  const h = hex(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
function load(key) {
  try {
    return window.localStorage.getItem(STORAGE + key);
  } catch (e) {
    return null;
  }
}
function save(key, value) {
  try {
    if (value === null) window.localStorage.removeItem(STORAGE + key);
    else window.localStorage.setItem(STORAGE + key, value);
  } catch (e) {
  }
}
function traceparent(t, spanId = t.spanId) {
  return `00-${t.traceId}-${spanId}-01`;
}
function fromSentryTrace(v) {
  const m = v && /^\s*([0-9a-f]{32})-([0-9a-f]{16})(?:-[01])?\s*$/.exec(v);
  return m ? { traceId: m[1], spanId: m[2] } : void 0;
}
function sentryScope() {
  const c = window.__SENTRY__;
  const h = c && (c[c.version] || c);
  if (!h) return void 0;
  const top = h.stack && typeof h.stack.getStackTop === "function" && h.stack.getStackTop();
  return top && top.scope || h.defaultCurrentScope;
}
function sentryClient() {
  const c = window.__SENTRY__;
  const h = c && (c[c.version] || c);
  const top = h && h.stack && typeof h.stack.getStackTop === "function" && h.stack.getStackTop();
  const scope = sentryScope();
  return top && top.client || scope && (scope._client || scope.getClient && scope.getClient());
}
function sentryTrace() {
  try {
    const scope = sentryScope();
    if (!scope) return void 0;
    const ref = scope.refs && scope.refs.span;
    const span = ref && (typeof ref.deref === "function" ? ref.deref() : ref);
    if (span && typeof span.spanContext === "function") {
      const sc = span.spanContext();
      if (sc && sc.traceId) return { traceId: sc.traceId, spanId: sc.spanId || hex(8) };
    }
    const pc = typeof scope.getPropagationContext === "function" && scope.getPropagationContext();
    if (pc && pc.traceId) return { traceId: pc.traceId, spanId: pc.propagationSpanId || pc.spanId || hex(8) };
  } catch (e) {
  }
  return void 0;
}
function describe(el) {
  const parts = [];
  let e = el;
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
  const props = { $el_text: text, $el_tag: el.tagName.toLowerCase(), $el_selector: parts.join(" > ") };
  const href = el.getAttribute("href");
  if (href) props.$el_href = href;
  return props;
}
var Lore = class {
  constructor() {
    this.key = "";
    this.host = "";
    this.opts = {
      autoPageviews: true,
      autocapture: true,
      captureErrors: true,
      tracePropagationTargets: [],
      flushInterval: 1e3,
      batchSize: 50,
      sessionTimeout: 30 * 60 * 1e3,
      service: "browser",
      dedupe: true,
      replay: true
    };
    this.queue = [];
    this.sending = false;
    this.lastPath = "";
    this.started = false;
  }
  /** Starts the SDK. Safe to call again with the same key. */
  init(key, options = {}) {
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
  track(name, props = {}) {
    this.enqueue(name, props);
  }
  /** Ties this visitor (and their earlier anonymous events) to userId. */
  identify(userId, traits = {}) {
    if (!userId) return;
    const anon = this.anonymousId();
    save("user_id", userId);
    this.enqueue("$identify", { $anon_distinct_id: anon, $set: traits });
  }
  /** Forgets the user: a new anonymous id and session (call on logout). */
  reset() {
    save("user_id", null);
    save("anonymous_id", null);
    save("session", null);
    this.anonymousId();
  }
  /** The current trace's traceparent, for requests the SDK does not see. */
  traceparent() {
    const t = this.currentTrace();
    return t ? traceparent(t, hex(8)) : void 0;
  }
  /**
   * Starts a new trace, as a user action does; when Sentry's SDK has
   * started one on the page, that trace is joined instead, so both SDKs'
   * events and the backend's share one trace id.
   */
  startTrace() {
    const s = sentryTrace();
    this.trace = { traceId: s ? s.traceId : hex(16), spanId: hex(8) };
    return this.trace;
  }
  /** The trace requests join now: Sentry's if it runs, else the last action's. */
  currentTrace() {
    const s = sentryTrace();
    if (s && (!this.trace || this.trace.traceId !== s.traceId)) this.trace = { traceId: s.traceId, spanId: hex(8) };
    return this.trace;
  }
  /** Sends the queue now; useBeacon when the page is going away. */
  async flush(useBeacon = false) {
    if (!this.queue.length || this.sending) return;
    const slice = this.queue.slice(0, this.opts.batchSize);
    const batch = this.prepare(slice);
    if (!batch.length) {
      this.drop(slice.length);
      return;
    }
    const body = JSON.stringify({ api_key: this.key, sent_at: (/* @__PURE__ */ new Date()).toISOString(), batch });
    const url = this.host + "/batch/";
    if (useBeacon && navigator.sendBeacon) {
      if (navigator.sendBeacon(url, new Blob([body], { type: "text/plain" }))) this.drop(slice.length);
      return;
    }
    if (typeof navigator !== "undefined" && navigator.onLine === false) return;
    this.sending = true;
    try {
      const res = await origFetch(url, { method: "POST", body, headers: { "Content-Type": "text/plain" }, keepalive: body.length < 6e4 });
      if (res.ok || res.status >= 400 && res.status < 500 && res.status !== 429) this.drop(slice.length);
    } catch (e) {
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
  prepare(slice) {
    const ph = this.opts.dedupe ? this.posthog() : void 0;
    const sentry = this.opts.dedupe && this.sentrySendsHere();
    const out = [];
    for (const m of slice) {
      if (ph && m.auto || sentry && m.auto === "error") continue;
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
  posthog() {
    const inst = window.posthog;
    try {
      if (inst && inst.__loaded && inst.config && inst.config.token === this.key && typeof inst.get_distinct_id === "function") {
        return {
          distinctId: inst.get_distinct_id(),
          deviceId: typeof inst.get_property === "function" ? inst.get_property("$device_id") : void 0,
          sessionId: typeof inst.get_session_id === "function" ? inst.get_session_id() : void 0,
          identified: typeof inst._isIdentified === "function" ? !!inst._isIdentified() : false
        };
      }
    } catch (e) {
    }
    const name = `ph_${this.key}_posthog`;
    let raw = null;
    try {
      raw = window.localStorage.getItem(name);
    } catch (e) {
      raw = null;
    }
    if (!raw) {
      const c = document.cookie.split("; ").find((kv) => kv.startsWith(name + "="));
      raw = c ? decodeURIComponent(c.slice(name.length + 1)) : null;
    }
    if (!raw) return void 0;
    try {
      const p = JSON.parse(raw);
      const ses = Array.isArray(p.$sesid) ? p.$sesid : [];
      if (!(typeof ses[0] === "number" && Date.now() - ses[0] < this.opts.sessionTimeout)) return void 0;
      return { distinctId: p.distinct_id, deviceId: p.$device_id, sessionId: ses[1], identified: p.$user_state === "identified" };
    } catch (e) {
      return void 0;
    }
  }
  /** Whether Sentry's SDK on this page sends its errors to this Lore. */
  sentrySendsHere() {
    try {
      const client = sentryClient();
      const dsn = client && typeof client.getOptions === "function" && client.getOptions().dsn;
      return !!dsn && new URL(dsn).host === new URL(this.host).host;
    } catch (e) {
      return false;
    }
  }
  drop(n) {
    this.queue.splice(0, n);
    this.persistQueue();
  }
  restoreQueue() {
    try {
      const q = JSON.parse(load("queue") || "[]");
      return Array.isArray(q) ? q.concat(this.queue) : this.queue;
    } catch (e) {
      return this.queue;
    }
  }
  persistQueue() {
    save("queue", this.queue.length ? JSON.stringify(this.queue) : null);
  }
  anonymousId() {
    let id = load("anonymous_id");
    if (!id) {
      id = uuid();
      save("anonymous_id", id);
    }
    return id;
  }
  /** The session's recording, when it is recorded (its counters, flush). */
  get replay() {
    return this.recording;
  }
  /** Who the page's person and session are now, without renewing the session (the recorder asks). */
  who() {
    let s = null;
    try {
      s = JSON.parse(load("session") || "null");
    } catch (e) {
      s = null;
    }
    if (!s || Date.now() - s.last > this.opts.sessionTimeout) s = { id: this.sessionId(), last: Date.now() };
    return { sessionId: s.id, userId: load("user_id") || void 0, anonymousId: this.anonymousId() };
  }
  /** The session id, renewed after sessionTimeout of inactivity. */
  sessionId() {
    const now = Date.now();
    let s = null;
    try {
      s = JSON.parse(load("session") || "null");
    } catch (e) {
      s = null;
    }
    if (!s || now - s.last > this.opts.sessionTimeout) s = { id: uuid(), last: now };
    s.last = now;
    save("session", JSON.stringify(s));
    return s.id;
  }
  enqueue(event, props, trace, auto) {
    const user = load("user_id");
    const anon = this.anonymousId();
    const t = trace || this.trace;
    const properties = {
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
      ...props
    };
    if (t) properties.traceparent = traceparent(t);
    const msg = { event, distinct_id: user || anon, timestamp: (/* @__PURE__ */ new Date()).toISOString(), uuid: uuid(), properties };
    if (auto) msg.auto = auto;
    this.queue.push(msg);
    if (this.queue.length > MAX_QUEUE) this.queue.splice(0, this.queue.length - MAX_QUEUE);
    this.persistQueue();
    if (this.queue.length >= this.opts.batchSize) void this.flush();
  }
  pageview() {
    const path = window.location.pathname + window.location.search;
    if (path === this.lastPath) return;
    this.lastPath = path;
    this.enqueue("$pageview", {}, this.startTrace(), "pageview");
    if (this.recording) this.recording.navigate(window.location.href);
  }
  listenNavigation() {
    const h = window.history;
    for (const m of ["pushState", "replaceState"]) {
      const orig = h[m];
      h[m] = function(...args) {
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
  listenClicks() {
    document.addEventListener(
      "click",
      (ev) => {
        let el = ev.target;
        while (el && el.nodeType === 1 && !el.matches("a, button, input[type=submit], input[type=button], [data-lore-event], [role=button]")) el = el.parentElement;
        if (!el || el.nodeType !== 1) return;
        const props = describe(el);
        const name = el.getAttribute("data-lore-event");
        this.enqueue(name || "$autocapture", { $event_type: "click", ...props }, this.startTrace(), name ? void 0 : "click");
      },
      true
    );
  }
  listenErrors() {
    window.addEventListener("error", (ev) => {
      const err = ev.error;
      this.enqueue(
        "$exception",
        {
          $exception_type: err && err.name || "Error",
          $exception_message: err && err.message || ev.message,
          $exception_stack: err && err.stack || `${ev.filename}:${ev.lineno}:${ev.colno}`
        },
        void 0,
        "error"
      );
    });
    window.addEventListener("unhandledrejection", (ev) => {
      const r = ev.reason;
      const isErr = r instanceof Error;
      this.enqueue(
        "$exception",
        {
          $exception_type: isErr ? r.name : "UnhandledRejection",
          $exception_message: isErr ? r.message : String(r),
          $exception_stack: isErr ? r.stack : void 0,
          $exception_handled: false
        },
        void 0,
        "error"
      );
    });
  }
  listenLifecycle() {
    const bye = () => void this.flush(true);
    window.addEventListener("pagehide", bye);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") bye();
    });
    window.addEventListener("online", () => void this.flush());
    const timings = () => {
      const nav = performance.getEntriesByType && performance.getEntriesByType("navigation")[0];
      if (!nav) return;
      this.enqueue("$pageload", {
        ttfb_ms: Math.round(nav.responseStart - nav.startTime),
        dom_content_loaded_ms: Math.round(nav.domContentLoadedEventEnd - nav.startTime),
        load_ms: Math.round(nav.loadEventEnd - nav.startTime || nav.duration),
        transfer_bytes: nav.transferSize
      });
    };
    if (document.readyState === "complete") setTimeout(timings, 0);
    else window.addEventListener("load", () => setTimeout(timings, 0));
  }
  allowed(url) {
    let u;
    try {
      u = new URL(url, window.location.href);
    } catch (e) {
      return false;
    }
    if (u.origin === new URL(this.host).origin && /^\/(batch|e|capture|i|s|flags|decide|array|static|v1)(\/|$)|^\/api\/\d+\/(envelope|store)\/|^\/api\/v1\/replay/.test(u.pathname)) return false;
    return this.opts.tracePropagationTargets.some((t) => typeof t === "string" ? u.origin === t || u.href.startsWith(t) : t.test(u.href));
  }
  patchNetwork() {
    const self = this;
    if (typeof window.fetch === "function") {
      const inner = window.fetch;
      window.fetch = function(input, init2) {
        const url = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
        if (self.allowed(url)) {
          const headers = new Headers(init2 && init2.headers || (input instanceof Request ? input.headers : void 0));
          if (!headers.has("traceparent")) {
            const st = fromSentryTrace(headers.get("sentry-trace"));
            const t = st || self.currentTrace();
            if (t) {
              headers.set("traceparent", traceparent(t, st ? st.spanId : hex(8)));
              init2 = { ...init2, headers };
              if (self.recording) self.recording.request(init2 && init2.method || (input instanceof Request ? input.method : "GET"), url, t.traceId);
            }
          }
        }
        return inner.call(window, input, init2);
      };
    }
    const open = XMLHttpRequest.prototype.open;
    const send = XMLHttpRequest.prototype.send;
    const setHeader = XMLHttpRequest.prototype.setRequestHeader;
    XMLHttpRequest.prototype.setRequestHeader = function(name, value) {
      const n = name.toLowerCase();
      if (n === "traceparent") this.__loreTP = true;
      if (n === "sentry-trace") this.__loreST = value;
      return setHeader.call(this, name, value);
    };
    XMLHttpRequest.prototype.open = function(method, url, ...rest) {
      this.__loreURL = String(url);
      this.__loreMethod = method;
      return open.call(this, method, url, ...rest);
    };
    XMLHttpRequest.prototype.send = function(body) {
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
};
var origFetch = typeof window !== "undefined" && window.fetch ? window.fetch.bind(window) : void 0;
var instance = new Lore();
var init = (key, options) => instance.init(key, options);
var track = (name, props) => instance.track(name, props);
var identify = (userId, traits) => instance.identify(userId, traits);
var reset = () => instance.reset();
var flush = () => instance.flush();
var currentTraceparent = () => instance.traceparent();
var index_default = instance;
export {
  Lore,
  currentTraceparent,
  index_default as default,
  flush,
  identify,
  init,
  reset,
  track
};
