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
/** A trace started by a user action. */
interface Trace {
    traceId: string;
    spanId: string;
}
export declare class Lore {
    private key;
    private host;
    private opts;
    private recording;
    private queue;
    private sending;
    private timer;
    private trace;
    private lastPath;
    private started;
    /** Starts the SDK. Safe to call again with the same key. */
    init(key: string, options?: Options): this;
    /** Records a product event. */
    track(name: string, props?: Props): void;
    /** Ties this visitor (and their earlier anonymous events) to userId. */
    identify(userId: string, traits?: Props): void;
    /** Forgets the user: a new anonymous id and session (call on logout). */
    reset(): void;
    /** The current trace's traceparent, for requests the SDK does not see. */
    traceparent(): string | undefined;
    /**
     * Starts a new trace, as a user action does; when Sentry's SDK has
     * started one on the page, that trace is joined instead, so both SDKs'
     * events and the backend's share one trace id.
     */
    startTrace(): Trace;
    /** The trace requests join now: Sentry's if it runs, else the last action's. */
    private currentTrace;
    /** Sends the queue now; useBeacon when the page is going away. */
    flush(useBeacon?: boolean): Promise<void>;
    /**
     * The messages of slice as sent: without the automatic events another SDK
     * on the page already sends (dedupe), and, beside posthog-js, as
     * posthog-js's person and session when Lore's user is not identified.
     */
    private prepare;
    /**
     * posthog-js on this page sending with the same key: its live instance
     * (window.posthog) or its persistence (ph_KEY_posthog) touched within
     * the session timeout.
     */
    private posthog;
    /** Whether Sentry's SDK on this page sends its errors to this Lore. */
    private sentrySendsHere;
    private drop;
    private restoreQueue;
    private persistQueue;
    private anonymousId;
    /** The session's recording, when it is recorded (its counters, flush). */
    get replay(): Replay | undefined;
    /** Who the page's person and session are now, without renewing the session (the recorder asks). */
    private who;
    /** The session id, renewed after sessionTimeout of inactivity. */
    private sessionId;
    private enqueue;
    private pageview;
    private listenNavigation;
    private listenClicks;
    private listenErrors;
    private listenLifecycle;
    private allowed;
    private patchNetwork;
}
declare const instance: Lore;
/** Starts the SDK: init("INGEST_KEY", { host: "https://lore.example.com" }). */
export declare const init: (key: string, options?: Options) => Lore;
/** Records a product event. */
export declare const track: (name: string, props?: Props) => void;
/** Ties this visitor to a user id. */
export declare const identify: (userId: string, traits?: Props) => void;
/** Forgets the user (on logout). */
export declare const reset: () => void;
/** Sends queued events now. */
export declare const flush: () => Promise<void>;
/** The traceparent of the current user action, if any. */
export declare const currentTraceparent: () => string | undefined;
export default instance;
