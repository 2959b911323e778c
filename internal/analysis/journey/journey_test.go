package journey

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
	got    store.JourneyRequest // the first request
	calls  int
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
	if m.calls == 0 {
		m.got = r
	}
	m.calls++
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

// TestJourneySessionJoinsTraces: a session's journey holds the events of
// the traces its page started, joined by the traceparent, when the
// backend did not tag them with the session id; traces whose backend side
// the session holds already are not read again.
func TestJourneySessionJoinsTraces(t *testing.T) {
	tr := func(s string) event.TraceID { id, _ := event.ParseTraceID(s); return id }
	order, tagged := tr("4bf92f3577b34da6a3ce929d0e0e4736"), tr("0af7651916cd43dd8448eb211c80319c")
	evs := []event.Event{
		{ProjectID: 1, TS: 1000, Kind: event.KindPageview, Name: "$pageview", Service: "browser", SessionID: "s-1", Endpoint: "/teapot"},
		{ProjectID: 1, TS: 2000, Kind: event.KindEvent, Name: "$autocapture", Service: "browser", SessionID: "s-1", TraceID: order},
		{ProjectID: 1, TS: 2100, Kind: event.KindLog, Level: event.LevelInfo, Service: "kettle-api", TraceID: order, Message: "order KC-1921 placed"},
		{ProjectID: 1, TS: 2200, Kind: event.KindLog, Level: event.LevelError, Service: "payments", TraceID: order, Message: "card declined"},
		{ProjectID: 1, TS: 3000, Kind: event.KindEvent, Name: "$autocapture", Service: "browser", SessionID: "s-1", TraceID: tagged},
		{ProjectID: 1, TS: 3100, Kind: event.KindSpan, Name: "GET /api/cart", Service: "cart", SessionID: "s-1", TraceID: tagged},
		{ProjectID: 1, TS: 3200, Kind: event.KindLog, Service: "cart", TraceID: tagged, Message: "not tagged, not joined: the trace's backend is in the session"},
		{ProjectID: 1, TS: 2150, Kind: event.KindLog, Service: "other", TraceID: tr("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), Message: "another trace"},
	}
	r := &memReader{events: evs}
	res, err := Journey{ProjectID: 1, By: store.BySession, ID: "s-1", Range: store.Range{From: 1, To: 5000}}.Resolve(t.Context(), r)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range res.Events {
		got = append(got, e.Service+":"+e.Message)
	}
	want := []string{"browser:", "browser:", "kettle-api:order KC-1921 placed", "payments:card declined", "browser:", "cart:"}
	if !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
	if r.calls != 2 {
		t.Errorf("%d store reads, want the session and its one untagged trace", r.calls)
	}
	told := false
	for _, l := range res.Story {
		told = told || l.Service == "payments"
	}
	if !told {
		t.Errorf("the story does not tell the joined trace's error: %+v", res.Story)
	}
	// A user's journey too: their events, and the backend's of the trace their page started.
	for i := range evs {
		if evs[i].SessionID == "s-1" {
			evs[i].UserID = "ada"
		}
	}
	res, err = Journey{ProjectID: 1, By: store.ByUser, ID: "ada", Range: store.Range{From: 1, To: 5000}}.Resolve(t.Context(), &memReader{events: evs})
	if err != nil || len(res.Events) != 6 || res.Events[3].Service != "payments" {
		t.Errorf("user journey: %d events (%v), want the session's and the joined trace's", len(res.Events), err)
	}
	// A trace journey is what it was.
	if res, _ := (Journey{ProjectID: 1, By: store.ByTrace, ID: order.String()}).Resolve(t.Context(), &memReader{events: evs}); len(res.Events) != 3 {
		t.Errorf("trace journey: %d events, want 3", len(res.Events))
	}
}
