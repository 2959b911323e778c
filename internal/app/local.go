package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/pipeline"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// Local writes straight into a data directory without a server, for
// `lore ingest --data DIR`. The server must not be running on the same
// directory (the store refuses a second writer).
type Local struct {
	store *duckdb.Store
	pipe  *pipeline.Pipeline
}

// OpenLocal opens the store and the ingest log of a data directory.
func OpenLocal(ctx context.Context, dataDir string, log *slog.Logger) (*Local, error) {
	st, err := duckdb.Open(ctx, filepath.Join(dataDir, "events"), duckdb.Options{}, log)
	if err != nil {
		return nil, fmt.Errorf("open data directory %q (is a server running on it?): %w", dataDir, err)
	}
	p, err := pipeline.Open(ctx, pipeline.Options{Dir: filepath.Join(dataDir, "wal")}, st, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &Local{store: st, pipe: p}, nil
}

// Submit durably stores events (project ids must be set).
func (l *Local) Submit(ctx context.Context, events []event.Event) error {
	return l.pipe.Submit(ctx, events)
}

// Close loads everything into the store and closes it.
func (l *Local) Close(ctx context.Context) error {
	err := l.pipe.Close(ctx)
	if cerr := l.store.Close(); err == nil {
		err = cerr
	}
	return err
}
