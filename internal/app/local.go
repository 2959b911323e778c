package app

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
)

// Local writes straight into a data directory without a server, for
// `lore ingest --data DIR`: the events go through the same processors as
// the server's ingest (issue tracking, pattern ids, the field catalogue)
// into the ingest log. The server must not be running on the same
// directory (the store refuses a second writer).
type Local struct {
	app *App
	// Bootstrap holds the keys of project 1 when this open created it, to
	// print once, as `lore serve` does.
	Bootstrap meta.Bootstrap
}

// OpenLocal opens a data directory (creating it on first use) without
// binding an address.
func OpenLocal(ctx context.Context, dataDir string, log *slog.Logger) (*Local, error) {
	a, err := Open(ctx, Config{DataDir: dataDir, Log: log, NoListen: true})
	if err != nil {
		return nil, fmt.Errorf("open data directory %q (is a server running on it?): %w", dataDir, err)
	}
	return &Local{app: a, Bootstrap: a.Bootstrap}, nil
}

// Submit processes and durably stores events (project ids must be set).
func (l *Local) Submit(ctx context.Context, events []event.Event) error {
	return l.app.submit(ctx, "lore ingest", events)
}

// Flush waits until everything submitted is in the store, the field
// catalogue included.
func (l *Local) Flush(ctx context.Context) error { return l.app.Flush(ctx) }

// Close loads everything into the store and closes the data directory.
func (l *Local) Close(ctx context.Context) error {
	return l.app.closeAll(ctx)
}
