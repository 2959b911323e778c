// Package e2e holds Lore's end-to-end tests: the real lore binary killed
// with SIGKILL mid-stream and flooded past its queue, and whole servers
// (internal/app) driven over HTTP by the simulated shop, the real
// OpenTelemetry SDK and the CLI. It has no non-test code.
package e2e
