/** Who the page's person and session are now (read without renewing the session). */
export interface Identity {
    sessionId: string;
    userId?: string;
    anonymousId?: string;
}
export interface RecorderOptions {
    /** POST URL of the chunks, the ingest key in its query: {host}/api/v1/replay?key=KEY */
    endpoint: string;
    /** The page's fetch as it was before the SDK patched it (no traceparent on uploads). */
    fetch: typeof fetch;
    identity: () => Identity | undefined;
    /** "record" uploads as it goes; "buffer" keeps only the last bufferMs until record() is called. */
    mode: "record" | "buffer";
    /** Milliseconds between uploads. */
    flushInterval: number;
    /** Uncompressed bytes that make a chunk upload early. */
    chunkBytes: number;
    /** Uncompressed bytes the page may hold (recorded but not uploaded); beyond, the oldest are dropped. */
    maxBufferedBytes: number;
    /** Buffer mode: how far back the recording reaches when an error turns recording on. */
    bufferMs: number;
    /** The server refused the recording for good (off for the project, over the session's limit): recording stops. */
    onStop?: (reason: string) => void;
}
export interface RecorderStats {
    events: number;
    rawBytes: number;
    sentBytes: number;
    chunks: number;
    droppedEvents: number;
    /** Milliseconds spent in the recorder's own code (serializing events, building chunks). */
    busyMs: number;
}
export interface Recorder {
    /** Buffer mode → record mode: uploads what the buffer holds and goes on recording. */
    record(): void;
    /** Adds a custom event to the recording (the SDK's errors and traced requests). */
    custom(tag: string, payload: Record<string, unknown>): void;
    /** Uploads what is recorded now; with final, synchronously by sendBeacon (the page is going away). */
    flush(final?: boolean): Promise<void>;
    stop(): void;
    stats(): RecorderStats;
}
export interface RecorderModule {
    start(o: RecorderOptions): Recorder;
}
