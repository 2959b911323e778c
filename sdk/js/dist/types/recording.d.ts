import type { Identity } from "./replay-types";
export interface ReplayOptions {
    /** Share of sessions recorded from their start, overriding the project's (0–1). */
    sampleRate?: number;
    /** Keep the sessions not sampled that hit an error, overriding the project's. */
    onError?: boolean;
    /** Milliseconds between uploads. Default 5000. */
    flushInterval?: number;
}
export declare class Replay {
    private host;
    private key;
    private fetchFn;
    private identity;
    private opts;
    private rec?;
    private mode;
    private early;
    private started;
    private settled;
    constructor(host: string, key: string, fetchFn: typeof fetch, identity: () => Identity | undefined, opts: ReplayOptions);
    /** Asks Lore whether to record and starts the recorder if so. */
    start(): Promise<void>;
    private begin;
    /** The session's mode, decided once per session and kept across its pages. */
    private decide;
    private remember;
    private custom;
    /** An uncaught error: into the recording, and a buffered session is recorded from now on (with the minute before). */
    private error;
    /** A request the page made with the trace it carried, which ties the recording to the backend's story. */
    request(method: string, url: string, traceId: string): void;
    /** A page view without a page load (SPA navigation), which rrweb does not record. */
    navigate(href: string): void;
    /** Uploads what is recorded now (tests, and pages about to navigate). */
    flush(): Promise<void>;
    /** The recorder's counters, when it runs. */
    stats(): import("./replay-types").RecorderStats | undefined;
}
