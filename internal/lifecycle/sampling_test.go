package lifecycle

import (
	"context"
	"encoding/binary"
	"math"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

// TestSamplerRatesAndWholeTraces samples 20,000 traces of a span and a log
// each, 20,000 debug logs and the events always kept: the kept shares are
// near the rates, a trace is kept or dropped whole, failed spans and
// warnings are all kept, kept events carry their rate, and the weighted
// count estimates the total.
func TestSamplerRatesAndWholeTraces(t *testing.T) {
	st := fakeSettings{1: `{"debug_logs": 0.1, "traces": 0.25}`}
	dropped := map[string]int{}
	s := NewSampler(st, nil, func(kind string, n int) { dropped[kind] += n })
	var evs []event.Event
	for i := range 20000 {
		var tr event.TraceID
		binary.BigEndian.PutUint64(tr[:8], uint64(i)*0x9e3779b97f4a7c15)
		binary.BigEndian.PutUint64(tr[8:], uint64(i+1)*0xbf58476d1ce4e5b9)
		evs = append(evs,
			event.Event{ProjectID: 1, Kind: event.KindSpan, TraceID: tr, Name: "GET /"},
			event.Event{ProjectID: 1, Kind: event.KindLog, Level: event.LevelInfo, TraceID: tr, Message: "served"},
			event.Event{ProjectID: 1, Kind: event.KindLog, Level: event.LevelDebug, Message: "cache miss"})
		if i%100 == 0 {
			evs = append(evs,
				event.Event{ProjectID: 1, Kind: event.KindSpan, TraceID: tr, HTTPStatus: 503},
				event.Event{ProjectID: 1, Kind: event.KindLog, Level: event.LevelWarn, TraceID: tr},
				event.Event{ProjectID: 1, Kind: event.KindEvent, Name: "Order Completed"},
				event.Event{ProjectID: 2, Kind: event.KindLog, Level: event.LevelDebug})
		}
	}
	kept, err := s.Process(context.Background(), evs)
	if err != nil {
		t.Fatal(err)
	}
	spans, infos, debugs, always := 0, 0, 0, 0
	weighted := 0.0
	byTrace := map[event.TraceID]int{}
	for _, e := range kept {
		r, sampled := e.Attr(AttrSampleRate)
		switch {
		case e.Kind == event.KindSpan && e.HTTPStatus == 0:
			spans++
			byTrace[e.TraceID]++
		case e.Kind == event.KindLog && e.Level == event.LevelInfo:
			infos++
			byTrace[e.TraceID]++
		case e.Kind == event.KindLog && e.Level == event.LevelDebug && e.ProjectID == 1:
			debugs++
			if r != "0.1" {
				t.Fatalf("kept debug log has rate %q", r)
			}
			weighted += 10
		default:
			always++
			if sampled {
				t.Errorf("an always-kept event has a rate: %+v", e)
			}
		}
	}
	near := func(what string, got int, want float64) {
		t.Helper()
		if math.Abs(float64(got)-want) > 0.1*want {
			t.Errorf("%s: kept %d, want about %.0f", what, got, want)
		}
	}
	near("spans", spans, 5000)
	near("trace logs", infos, 5000)
	near("debug logs", debugs, 2000)
	if always != 4*200 {
		t.Errorf("kept %d of the 800 always-kept events", always)
	}
	for tr, n := range byTrace {
		if n != 2 {
			t.Fatalf("trace %s kept in part: %d of its 2 events", tr, n)
		}
	}
	if math.Abs(weighted-20000) > 2000 {
		t.Errorf("weighted debug count %.0f, want about 20000", weighted)
	}
	if dropped["span"] != 20000-spans || dropped["log"] != 40000-infos-debugs {
		t.Errorf("dropped counts %v", dropped)
	}
	for _, bad := range []string{`{"traces": 1.5}`, `{"info_logs": -0.1}`} {
		if err := setSampling(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// setSampling sets sampling settings through the Service, which checks them.
func setSampling(doc string) error {
	svc := NewService(fakeSettings{}, NewSection[Sampling](SamplingName, nil))
	_, err := svc.SetSettings(context.Background(), 1, SamplingName, []byte(doc))
	return err
}
