// Package narrative tells what happened across services, as query
// objects over the store's Narrative role: the Overview's story cards and
// their detectors (stories*.go: cascades, throttling, retries, bad
// releases, hidden coupling, recurring spikes, funnel drop-offs, journey
// failures), the incident timeline (timeline.go), the service map and a
// trace's breakdown (servicemap*.go) and log patterns (patterns.go). The
// server's narrative routes resolve them (internal/app/narrative.go). One
// journey's narration is internal/analysis/journey; product analytics are
// internal/analysis and internal/analysis/product.
package narrative
