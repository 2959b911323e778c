package ingest

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/metrics"
)

// backlog records what the sink reserves, commits and releases.
type backlog struct {
	full                        bool
	reserved, released, commits int
	stored                      []event.Event
}

func (b *backlog) Reserve(_ context.Context, evs []event.Event) (Reservation, error) {
	if b.full {
		return nil, &errs.Error{Kind: errs.Overloaded, Msg: "full", RetryAfter: 2}
	}
	b.reserved++
	return &held{b: b}, nil
}

type held struct{ b *backlog }

func (h *held) Commit(_ context.Context, evs []event.Event) error {
	h.b.commits++
	h.b.stored = append(h.b.stored, evs...)
	return nil
}
func (h *held) Release() { h.b.released++ }

// step is a processor that records the order it ran in and may drop or fail.
type step struct {
	name  string
	log   *[]string
	drop  bool
	fails bool
}

func (s step) Process(_ context.Context, evs []event.Event) ([]event.Event, error) {
	*s.log = append(*s.log, s.name)
	if s.fails {
		return nil, errors.New("processor broke")
	}
	if s.drop {
		return nil, nil
	}
	for i := range evs {
		evs[i].Attributes = append(evs[i].Attributes, event.Attr{Key: "seen." + s.name, Value: "1"})
	}
	return evs, nil
}

func TestSinkWrite(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	var order []string
	b := &backlog{}
	reg := metrics.New()
	s := NewSink(SinkConfig{
		Limits:     Limits{MaxRows: 3, Event: DefaultEventLimits()},
		Admitter:   b,
		Processors: []Processor{step{name: "patterns", log: &order}, step{name: "issues", log: &order}},
		Metrics:    reg,
		Now:        func() time.Time { return now },
	})
	evs := []event.Event{{TS: now.UnixMicro(), Message: "a"}, {TS: time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(), Message: "b"}}
	rcpt, err := s.Write(ctx, Request{ProjectID: 7, Route: "/v1/logs", Events: evs, Rejected: map[string]int{"invalid record": 2}})
	if err != nil || rcpt.Stored != 2 || b.commits != 1 || strings.Join(order, ",") != "patterns,issues" {
		t.Fatalf("write: %+v %v, commits %d, order %v", rcpt, err, b.commits, order)
	}
	got := b.stored[1]
	if got.ProjectID != 7 || got.TS != now.UnixMicro() || len(got.Attributes) != 4 {
		t.Errorf("stored %+v: want project 7, the far-future time clamped (flagged), both processors' marks", got)
	}
	var m strings.Builder
	reg.Write(&m)
	if !strings.Contains(m.String(), `lore_events_accepted_total{path="/v1/logs"} 2`) ||
		!strings.Contains(m.String(), `lore_events_rejected_total{path="/v1/logs",reason="invalid record"} 2`) {
		t.Errorf("metrics:\n%s", m.String())
	}

	// Over MaxRows: 413 before admission.
	_, err = s.Write(ctx, Request{Route: "/v1/logs", Events: make([]event.Event, 4)})
	if !errs.Is(err, errs.TooLarge) || b.reserved != 1 {
		t.Errorf("4 rows with MaxRows 3: %v (reserved %d times)", err, b.reserved)
	}
	// A full backlog: no processor runs.
	b.full, order = true, nil
	_, err = s.Write(ctx, Request{Route: "/v1/logs", Events: []event.Event{{TS: now.UnixMicro()}}})
	if e, ok := errs.As(err); !ok || e.Kind != errs.Overloaded || e.RetryAfter != 2 || len(order) != 0 {
		t.Errorf("full backlog: %v, processors ran %v", err, order)
	}
	b.full = false

	// A processor that drops everything, or fails: the room is released.
	for _, p := range []step{{name: "filter", log: &order, drop: true}, {name: "broken", log: &order, fails: true}} {
		s := NewSink(SinkConfig{Admitter: b, Processors: []Processor{p}})
		released := b.released
		rcpt, err := s.Write(ctx, Request{Events: []event.Event{{TS: now.UnixMicro()}}})
		if b.released != released+1 || (p.drop && (err != nil || rcpt.Dropped != 1)) || (p.fails && err == nil) {
			t.Errorf("%s: %+v %v, released %d", p.name, rcpt, err, b.released-released)
		}
	}
}
