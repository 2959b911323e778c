// Package issue groups error events into issues, the way an error tracker
// does: a fingerprint from the in-app stack frames (module and function,
// never line numbers), else from the exception type and a normalized
// message; SDK-sent fingerprints (with "{{ default }}") and per-project
// fingerprint rules override it. Its ingest Processor turns error-level
// logs with stack traces and OTLP exception attributes into error events,
// applies inbound filters and a per-fingerprint rate limit, and tracks each
// issue's state (unresolved, resolved, resolved in next release, ignored,
// regressed), recording new and regressed issues as signals.
package issue
