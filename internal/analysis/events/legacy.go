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
