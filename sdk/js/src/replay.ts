// Lore's session recorder: rrweb's recorder (@rrweb/record) with Lore's
// privacy defaults — every input and every text masked (each character
// but spaces an asterisk) unless the element or an ancestor says
// data-lore-unmask; data-lore-mask masks again below it; data-lore-block
// leaves an element out entirely; passwords are always masked — and the
// page's memory bounded. Events are serialized once, as they come, and
// uploaded in chunks: gzip-compressed in the browser (CompressionStream),
// sent with fetch every few seconds and with sendBeacon when the page goes
// away, each chunk tied to the SDK's session, page load and person.
//
// This module is a chunk of its own (dist/lore-replay.js and .mjs): a page
// that does not record never loads it.
import { record } from "@rrweb/record";
import type { Recorder, RecorderOptions, RecorderStats } from "./replay-types";

const MASKS = "[data-lore-mask],[data-lore-unmask]";

/** Whether the nearest element saying data-lore-mask or data-lore-unmask says unmask. */
function unmasked(el: Element | null | undefined): boolean {
  const m = el && typeof el.closest === "function" ? el.closest(MASKS) : null;
  return !!m && m.hasAttribute("data-lore-unmask");
}

function mask(s: string): string {
  return s.replace(/\S/g, "*");
}

function randomId(): string {
  const a = new Uint8Array(8);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => (b < 16 ? "0" : "") + b.toString(16)).join("");
}

/** A chunk cut from the recording, waiting for its upload. */
interface Pending {
  head: string; // the envelope's fields but sent_at and events
  events: string; // the events, serialized, comma-separated
  count: number;
}

const now = () => (typeof performance !== "undefined" ? performance.now() : Date.now());

export function start(o: RecorderOptions): Recorder {
  let parts: string[] = []; // serialized events recorded and not yet cut into a chunk
  let bytes = 0;
  let mode = o.mode;
  // Buffer mode keeps two checkouts' worth: from the last but one full snapshot on.
  let lastCheckout = 0;
  let pageId = randomId();
  let seq = 0;
  let who = o.identity();
  let stopped = false;
  let sending = false;
  const queue: Pending[] = [];
  const st: RecorderStats = { events: 0, rawBytes: 0, sentBytes: 0, chunks: 0, droppedEvents: 0, busyMs: 0 };

  const emit = (e: unknown, isCheckout?: boolean) => {
    const t0 = now();
    const s = JSON.stringify(e);
    if (isCheckout && (e as { type?: number }).type === 4 && mode === "buffer") {
      // A new checkout (its Meta comes first): drop what came before the previous one.
      st.droppedEvents += lastCheckout;
      for (let i = 0; i < lastCheckout; i++) bytes -= parts[i].length;
      parts = parts.slice(lastCheckout);
      lastCheckout = parts.length;
    }
    parts.push(s);
    bytes += s.length;
    st.events++;
    st.rawBytes += s.length;
    if (mode === "record" && bytes >= o.chunkBytes) void flush();
    if (bytes + queued() > o.maxBufferedBytes) shed();
    st.busyMs += now() - t0;
  };

  const options = (checkoutEveryNms?: number) => ({
    emit,
    checkoutEveryNms,
    maskAllInputs: true,
    maskInputFn: (text: string, el: HTMLElement) =>
      el && (el as HTMLInputElement).type === "password" ? mask(text) : unmasked(el) ? text : mask(text),
    maskTextSelector: "*",
    maskTextFn: (text: string, el: HTMLElement | null) => (unmasked(el) ? text : mask(text)),
    blockSelector: "[data-lore-block]",
    inlineStylesheet: true,
    slimDOMOptions: "all" as const,
    recordCanvas: false,
    collectFonts: false,
    inlineImages: false,
    sampling: { mousemove: 50, scroll: 150, media: 800, input: "last" as const },
  });
  const queued = () => queue.reduce((n, p) => n + p.events.length, 0);
  // Declared before the first record(): it emits the page's snapshot at once.
  let stopRecording = record(options(mode === "buffer" ? Math.max(5000, o.bufferMs / 2) : undefined));

  /** Over the memory bound (uploads failing, a page recording fast): the oldest go, and a full snapshot starts the rest. */
  function shed() {
    for (const p of queue) st.droppedEvents += p.count;
    queue.length = 0;
    st.droppedEvents += parts.length;
    parts = [];
    bytes = 0;
    lastCheckout = 0;
    record.takeFullSnapshot(true);
  }

  /** Cuts what is recorded into a chunk. A new session (the SDK's timed out) starts a new page with a full snapshot. */
  function cut() {
    const t0 = now();
    const id = o.identity();
    if (parts.length && who) {
      const head =
        `"session_id":${JSON.stringify(who.sessionId)},"page_id":${JSON.stringify(pageId)},"seq":${seq++}` +
        (who.userId ? `,"user_id":${JSON.stringify(who.userId)}` : "") +
        (who.anonymousId ? `,"anonymous_id":${JSON.stringify(who.anonymousId)}` : "");
      queue.push({ head, events: parts.join(","), count: parts.length });
      parts = [];
      bytes = 0;
      lastCheckout = 0;
    }
    if (id && who && id.sessionId !== who.sessionId) {
      pageId = randomId();
      seq = 0;
      who = id;
      record.takeFullSnapshot(true);
    } else if (id) {
      who = id;
    }
    st.busyMs += now() - t0;
  }

  function body(p: Pending): string {
    return `{${p.head},"sent_at":${Date.now()},"events":[${p.events}]}`;
  }

  async function gzip(s: string): Promise<Blob | string> {
    if (typeof CompressionStream === "undefined") return s; // the server takes plain JSON too
    return new Response(new Blob([s]).stream().pipeThrough(new CompressionStream("gzip"))).blob();
  }

  /** Uploads the queue, oldest first; a chunk that fails for now waits for the next tick. */
  async function send() {
    if (sending || stopped) return;
    sending = true;
    try {
      while (queue.length && !stopped) {
        const p = queue[0];
        const payload = await gzip(body(p));
        const size = typeof payload === "string" ? payload.length : payload.size;
        let res: Response;
        try {
          res = await o.fetch(o.endpoint, { method: "POST", body: payload, keepalive: size < 60000, credentials: "omit" });
        } catch {
          return; // offline or Lore unreachable: retried on the next tick
        }
        if (res.status === 429 || res.status >= 500) return;
        queue.shift();
        if (res.ok) {
          st.chunks++;
          st.sentBytes += size;
        } else if (res.status === 413 || res.status === 403 || res.status === 401) {
          let reason = `HTTP ${res.status}`;
          try {
            reason = ((await res.json()) as { error?: string }).error || reason;
          } catch {
            /* no JSON */
          }
          stop();
          if (o.onStop) o.onStop(reason);
          return;
        }
        // Any other 4xx: this chunk will not get better; the next may.
      }
    } finally {
      sending = false;
    }
  }

  async function flush(final = false): Promise<void> {
    if (stopped || mode === "buffer") return;
    cut();
    if (!final) return send();
    // The page is going away: no time to compress. What fits a beacon goes.
    while (queue.length) {
      const p = queue.shift() as Pending;
      if (!navigator.sendBeacon || !navigator.sendBeacon(o.endpoint, new Blob([body(p)], { type: "text/plain" }))) {
        st.droppedEvents += p.count;
      } else {
        st.chunks++;
      }
    }
  }

  const timer = setInterval(() => void flush(), o.flushInterval);
  const onHidden = () => {
    if (document.visibilityState === "hidden") void flush();
  };
  const onPageHide = () => void flush(true);
  document.addEventListener("visibilitychange", onHidden);
  window.addEventListener("pagehide", onPageHide);

  function stop() {
    if (stopped) return;
    stopped = true;
    clearInterval(timer);
    document.removeEventListener("visibilitychange", onHidden);
    window.removeEventListener("pagehide", onPageHide);
    if (stopRecording) stopRecording();
    parts = [];
    queue.length = 0;
  }

  return {
    record() {
      if (stopped || mode === "record") return;
      mode = "record";
      // Record on without the buffer's frequent checkouts: what the buffer holds is kept.
      if (stopRecording) stopRecording();
      const held = parts;
      parts = [];
      bytes = 0;
      stopRecording = record(options());
      parts = held.concat(parts);
      bytes = parts.reduce((n, s) => n + s.length, 0);
      void flush();
    },
    custom(tag, payload) {
      if (!stopped) record.addCustomEvent(tag, payload);
    },
    flush,
    stop,
    stats: () => ({ ...st }),
  };
}
