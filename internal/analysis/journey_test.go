package analysis

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// memReader is a store.Reader over a slice, answering Journey by matching
// the key exactly (user journeys do not follow anonymous ids here).
type memReader struct {
	events []event.Event
	got    store.JourneyRequest
	err    error
}

var _ store.Reader = (*memReader)(nil)

func (m *memReader) Search(context.Context, store.SearchRequest) (store.SearchResult, error) {
	return store.SearchResult{}, store.ErrUnsupported
}

func (m *memReader) Histogram(context.Context, store.HistogramRequest) (store.HistogramResult, error) {
	return store.HistogramResult{}, store.ErrUnsupported
}

func (m *memReader) Facets(context.Context, store.FacetsRequest) (store.FacetsResult, error) {
	return store.FacetsResult{}, store.ErrUnsupported
}

func (m *memReader) Journey(_ context.Context, r store.JourneyRequest) ([]event.Event, error) {
	m.got = r
	if m.err != nil {
		return nil, m.err
	}
	var out []event.Event
	for _, e := range m.events {
		if e.ProjectID != r.ProjectID {
			continue
		}
		if r.ID == "x" || // the golden tests take the whole slice
			r.By == store.ByTrace && e.TraceID.String() == r.ID ||
			r.By == store.ByUser && e.UserID == r.ID ||
			r.By == store.BySession && e.SessionID == r.ID {
			out = append(out, e)
		}
	}
	return out, nil
}

func TestJourneyResolve(t *testing.T) {
	r := &memReader{events: throttledCheckoutSucceeds()}
	j := Journey{ProjectID: 1, By: store.BySession, ID: "s-2", Range: store.Range{From: 1, To: 2}, Limit: 50}
	res, err := j.Resolve(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	want := store.JourneyRequest{ProjectID: 1, By: store.BySession, ID: "s-2", Range: store.Range{From: 1, To: 2}, Limit: 50}
	if r.got != want {
		t.Errorf("request = %+v, want %+v", r.got, want)
	}
	if len(res.Events) != 2 || len(res.Story) != 2 {
		t.Fatalf("got %d events, %d story lines, want 2 and 2", len(res.Events), len(res.Story))
	}
	for _, l := range res.Story {
		if l.Ref < 0 || l.Ref >= len(res.Events) || res.Events[l.Ref].TS != l.TS {
			t.Errorf("line %q refers to event %d, which is not its event", l.Text, l.Ref)
		}
	}
	if got := res.Story[1].Text; got != "user_789 completed order o-1001" {
		t.Errorf("story line = %q", got)
	}
}

func TestJourneyResolveSortsEvents(t *testing.T) {
	evs := plainTrace()
	slices.Reverse(evs)
	res, err := Journey{ProjectID: 1, By: store.ByTrace, ID: evs[0].TraceID.String()}.Resolve(t.Context(), &memReader{events: evs})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.IsSortedFunc(res.Events, func(a, b event.Event) int { return int(a.TS - b.TS) }) {
		t.Error("events are not oldest first")
	}
	for _, l := range res.Story {
		if l.Ref >= 0 && res.Events[l.Ref].Service != l.Service && l.Service != "" {
			t.Errorf("line %q of %s refers to an event of %s", l.Text, l.Service, res.Events[l.Ref].Service)
		}
	}
}

func TestJourneyResolveErrors(t *testing.T) {
	ctx := t.Context()
	_, err := Journey{ProjectID: 1, By: store.ByUser, ID: "nobody"}.Resolve(ctx, &memReader{events: plainTrace()})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("empty journey: err = %v, want ErrNotFound", err)
	}
	_, err = Journey{ProjectID: 2, By: store.ByUser, ID: "user_42"}.Resolve(ctx, &memReader{events: plainTrace()})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("other project: err = %v, want ErrNotFound", err)
	}
	boom := errors.New("disk on fire")
	_, err = Journey{ProjectID: 1, By: store.ByUser, ID: "user_42"}.Resolve(ctx, &memReader{err: boom})
	if !errors.Is(err, boom) || errors.Is(err, ErrNotFound) {
		t.Errorf("store failure: err = %v, want it wrapped", err)
	}
	for _, j := range []Journey{{ProjectID: 1, By: "order", ID: "o-1"}, {ProjectID: 1, By: store.ByTrace}} {
		if _, err := j.Resolve(ctx, &memReader{events: plainTrace()}); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("%+v: err = %v, want a bad-request error", j, err)
		}
	}
}
