package events

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/store"
)

// legacy is the part of store.Reader still answered inside a backend
// (being moved here, one read at a time).
type legacy interface {
	Search(ctx context.Context, r store.SearchRequest) (store.SearchResult, error)
	Histogram(ctx context.Context, r store.HistogramRequest) (store.HistogramResult, error)
	Facets(ctx context.Context, r store.FacetsRequest) (store.FacetsResult, error)
}

func (rd Reader) legacy() (legacy, error) {
	l, ok := rd.Ex.(legacy)
	if !ok {
		return nil, fmt.Errorf("%w: this store cannot search events yet", store.ErrUnsupported)
	}
	return l, nil
}

// Search: see legacy.
func (rd Reader) Search(ctx context.Context, r store.SearchRequest) (store.SearchResult, error) {
	l, err := rd.legacy()
	if err != nil {
		return store.SearchResult{}, err
	}
	return l.Search(ctx, r)
}

// Histogram: see legacy.
func (rd Reader) Histogram(ctx context.Context, r store.HistogramRequest) (store.HistogramResult, error) {
	l, err := rd.legacy()
	if err != nil {
		return store.HistogramResult{}, err
	}
	return l.Histogram(ctx, r)
}

// Facets: see legacy.
func (rd Reader) Facets(ctx context.Context, r store.FacetsRequest) (store.FacetsResult, error) {
	l, err := rd.legacy()
	if err != nil {
		return store.FacetsResult{}, err
	}
	return l.Facets(ctx, r)
}
