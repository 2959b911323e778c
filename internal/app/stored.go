package app

import (
	"context"

	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/store"
)

// storedWriter is the events store as the pipeline's loader writes to it:
// after each committed batch it tells the resolver, per project, the
// times the batch stored, so no remembered answer over a settled range
// misses events that arrived late (resolve.Resolver.Stored).
type storedWriter struct {
	store.Writer
	resolver *resolve.Resolver
}

var _ store.Writer = storedWriter{}

// Append implements store.Writer.
func (w storedWriter) Append(ctx context.Context, b store.Batch) error {
	if err := w.Writer.Append(ctx, b); err != nil {
		return err
	}
	type span struct{ first, last int64 }
	spans := map[int64]span{}
	for _, e := range b.Events {
		sp, ok := spans[e.ProjectID]
		if !ok {
			sp = span{e.TS, e.TS}
		}
		spans[e.ProjectID] = span{min(sp.first, e.TS), max(sp.last, e.TS)}
	}
	for project, sp := range spans {
		w.resolver.Stored(project, sp.first, sp.last)
	}
	return nil
}
