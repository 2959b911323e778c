// Package journey tells a journey: every event of a trace, a user or a
// session across services and kinds, oldest first (the Journey query
// object, read through store.Reader), and the story narrated from them —
// the lines a reader follows (BuildStory: steps, phrases, the words
// chosen for them), a summary, and their text rendering (RenderText) for
// the CLI. The Overview's story cards are another thing: the detectors of
// internal/analysis's stories*.go.
package journey

import (
	"context"
	"fmt"
	"math"
	"slices"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// ErrNotFound is returned (wrapped) when a journey has no events. Handlers
// map it to 404.
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

// Result is a journey's events, oldest first, its story and summary.
type Result struct {
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
func (j Journey) Resolve(ctx context.Context, r store.Reader) (Result, error) {
	switch j.By {
	case store.ByTrace, store.ByUser, store.BySession:
	default:
		return Result{}, fmt.Errorf("cannot follow a journey by %q: want trace, user or session", j.By)
	}
	if j.ID == "" {
		return Result{}, fmt.Errorf("cannot follow a %s journey without an id", j.By)
	}
	events, err := r.Journey(ctx, store.JourneyRequest{
		ProjectID: j.ProjectID, By: j.By, ID: j.ID, Range: j.Range, Limit: j.Limit,
	})
	if err != nil {
		return Result{}, fmt.Errorf("cannot read %s journey %q: %w", j.By, j.ID, err)
	}
	if len(events) == 0 {
		return Result{}, fmt.Errorf("%s journey %q: %w", j.By, j.ID, ErrNotFound)
	}
	if j.By == store.BySession || j.By == store.ByUser {
		if events, err = j.joinTraces(ctx, r, events); err != nil {
			return Result{}, err
		}
	}
	sortEvents(events)
	story, sum := buildStory(events, string(j.By))
	if story == nil {
		story = []StoryLine{}
	}
	return Result{Events: events, Story: story, Summary: sum}, nil
}

// maxJoinedTraces bounds the traces a session's or a user's journey
// follows.
const maxJoinedTraces = 50

// joinTraces adds to a session's (or a user's) events those of the traces
// its browser events started (the SDK sends a traceparent with the page's
// requests) that the journey holds no backend span or log of: a backend
// that does not tag its spans and logs with the session or user id, as
// many do not, still tells its side on the journey's story and its
// replay's timeline. At most maxJoinedTraces traces, the newest first, in
// the journey's range, up to its limit.
func (j Journey) joinTraces(ctx context.Context, r store.Reader, events []event.Event) ([]event.Event, error) {
	backend, seen := map[event.TraceID]bool{}, map[event.TraceID]bool{}
	held := map[eventKey]bool{} // the session's events of a trace: not added twice
	var traces []event.TraceID
	for i := range events {
		e := &events[i]
		if !e.TraceID.IsZero() {
			held[sameEvent(e)] = true
		}
		switch {
		case e.TraceID.IsZero():
		case e.Kind == event.KindSpan || e.Kind == event.KindLog:
			backend[e.TraceID] = true
		case !seen[e.TraceID]:
			seen[e.TraceID] = true
			traces = append(traces, e.TraceID)
		}
	}
	limit := j.Limit
	if limit <= 0 {
		limit = math.MaxInt
	}
	followed := 0
	for _, t := range slices.Backward(traces) {
		if backend[t] {
			continue
		}
		if followed == maxJoinedTraces || len(events) >= limit {
			break
		}
		followed++
		evs, err := r.Journey(ctx, store.JourneyRequest{ProjectID: j.ProjectID, By: store.ByTrace, ID: t.String(), Range: j.Range, Limit: limit - len(events)})
		if err != nil {
			return nil, fmt.Errorf("cannot join trace %s to the journey of %s %q: %w", t, j.By, j.ID, err)
		}
		for _, e := range evs {
			if !held[sameEvent(&e)] {
				events = append(events, e)
			}
		}
	}
	return events, nil
}

// eventKey tells an event from the others of its trace.
type eventKey struct {
	ts                       int64
	kind, service, name, msg string
	span                     event.SpanID
}

func sameEvent(e *event.Event) eventKey {
	return eventKey{e.TS, e.Kind, e.Service, e.Name, e.Message, e.SpanID}
}
