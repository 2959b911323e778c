package analysis

import (
	"context"
	"fmt"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// ErrNotFound is returned (wrapped) when a query finds nothing to tell, such
// as a journey without events. Handlers map it to 404.
var ErrNotFound = errs.New(errs.NotFound, "not found")

// Journey is a query object: every event carrying a trace, user or session
// id, across services and kinds, oldest first, with its story. Handlers
// build it and call Resolve.
type Journey struct {
	ProjectID int64
	By        store.JourneyBy
	ID        string
	Range     store.Range
	Limit     int // 0 for the store's default; the store caps it
}

// JourneyResult is a journey's events, oldest first, its story and summary.
type JourneyResult struct {
	Events  []event.Event `json:"events"`
	Story   []StoryLine   `json:"story"`
	Summary Summary       `json:"summary"`
}

// Key identifies the query, for caching results.
func (j Journey) Key() string {
	return fmt.Sprintf("journey:%d:%s:%q:%d:%d:%d", j.ProjectID, j.By, j.ID, j.Range.From, j.Range.To, j.Limit)
}

// Resolve reads the journey's events from r and tells their story. A
// journey with no events is an error wrapping ErrNotFound; an unknown By or
// an empty ID is an error too.
func (j Journey) Resolve(ctx context.Context, r store.Reader) (JourneyResult, error) {
	switch j.By {
	case store.ByTrace, store.ByUser, store.BySession:
	default:
		return JourneyResult{}, fmt.Errorf("cannot follow a journey by %q: want trace, user or session", j.By)
	}
	if j.ID == "" {
		return JourneyResult{}, fmt.Errorf("cannot follow a %s journey without an id", j.By)
	}
	events, err := r.Journey(ctx, store.JourneyRequest{
		ProjectID: j.ProjectID, By: j.By, ID: j.ID, Range: j.Range, Limit: j.Limit,
	})
	if err != nil {
		return JourneyResult{}, fmt.Errorf("cannot read %s journey %q: %w", j.By, j.ID, err)
	}
	if len(events) == 0 {
		return JourneyResult{}, fmt.Errorf("%s journey %q: %w", j.By, j.ID, ErrNotFound)
	}
	sortEvents(events)
	story, sum := buildStory(events, string(j.By))
	if story == nil {
		story = []StoryLine{}
	}
	return JourneyResult{Events: events, Story: story, Summary: sum}, nil
}
