package ingest

import (
	"context"
	"errors"

	"github.com/lore-dev/lore/internal/event"
)

// Sink is where the listeners outside the HTTP server (OTLP/gRPC, syslog,
// Fluent forward) put what they decode: the same key check, processing and
// durable submit as the HTTP ingest paths.
type Sink interface {
	// Authenticate resolves an ingest key to the project it writes to.
	// Errors wrap ErrUnauthorized (unknown or missing key) or ErrForbidden
	// (a key that cannot ingest).
	Authenticate(ctx context.Context, key string) (projectID int64, err error)
	// Submit processes and durably stores one batch, counted under path;
	// it returns nil once the events are durable. An error wrapping
	// ErrOverloaded means "retry later".
	Submit(ctx context.Context, path string, events []event.Event) error
}

// Errors a Sink wraps.
var (
	ErrUnauthorized = errors.New("unauthorized")
	ErrForbidden    = errors.New("forbidden")
	ErrOverloaded   = errors.New("overloaded")
)
