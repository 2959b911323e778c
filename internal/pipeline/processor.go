package pipeline

import (
	"context"

	"github.com/lore-dev/lore/internal/event"
)

// Processor transforms events at ingest, after decoding and before they
// are logged: enrichment, error detection and fingerprinting, log pattern
// ids, PII redaction, inbound filters. It may change events in place,
// drop some (returning the kept ones) or return an error that refuses the
// whole request. Processors must be safe for concurrent use.
type Processor interface {
	Process(ctx context.Context, events []event.Event) ([]event.Event, error)
}

// Chain runs processors in order.
type Chain []Processor

// Process runs every processor of the chain.
func (c Chain) Process(ctx context.Context, events []event.Event) ([]event.Event, error) {
	var err error
	for _, p := range c {
		if events, err = p.Process(ctx, events); err != nil {
			return nil, err
		}
		if len(events) == 0 {
			return events, nil
		}
	}
	return events, nil
}
