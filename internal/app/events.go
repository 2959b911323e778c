package app

import (
	"context"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// eventStore is the events store with the reads of events (store.Reader)
// answered by the query objects of internal/analysis/events on it. It
// embeds the store, so every method of it — the Executor, the
// accelerators — is still found by type assertion.
type eventStore struct{ *duckdb.Store }

var _ store.Reader = eventStore{}

func (s eventStore) reader() events.Reader { return events.Reader{Ex: s.Store} }

// Search implements store.Reader.
func (s eventStore) Search(ctx context.Context, r store.SearchRequest) (store.SearchResult, error) {
	return s.reader().Search(ctx, r)
}

// Histogram implements store.Reader.
func (s eventStore) Histogram(ctx context.Context, r store.HistogramRequest) (store.HistogramResult, error) {
	return s.reader().Histogram(ctx, r)
}

// Facets implements store.Reader.
func (s eventStore) Facets(ctx context.Context, r store.FacetsRequest) (store.FacetsResult, error) {
	return s.reader().Facets(ctx, r)
}

// Journey implements store.Reader.
func (s eventStore) Journey(ctx context.Context, r store.JourneyRequest) ([]event.Event, error) {
	return s.reader().Journey(ctx, r)
}
