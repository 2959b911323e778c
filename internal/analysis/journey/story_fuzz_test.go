package journey

import (
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

// FuzzBuildStory feeds BuildStory events whose names, messages, statuses
// and attributes come from the fuzzer: it must not panic, every line must
// refer to an event (or be a gap), and lines must be in time order.
func FuzzBuildStory(f *testing.F) {
	f.Add("Checkout Started", "calling payment gateway", "payment_gateway_response", int32(429), int32(1), "900000", 1200.0, int64(900_000_000))
	f.Add("$click", "query timed out after 5000ms", "db_query", int32(0), int32(0), "15m0s", 5000.0, int64(1))
	f.Add("", "", "", int32(-1), int32(-3), "", -1.0, int64(-5))
	f.Fuzz(func(t *testing.T, productName, message, logName string, status, attempt int32, delay string, ms float64, step int64) {
		base := micros("10:00:00")
		var evs []event.Event
		kinds := []string{event.KindEvent, event.KindLog, event.KindSpan, event.KindPageview, event.KindError}
		for i, k := range kinds {
			e := event.Event{
				TS: base + int64(i)*step, Kind: k, Service: "svc" + string(rune('a'+i%2)), Name: logName, Message: message,
				HTTPStatus: status, RetryAttempt: attempt, DurationMS: ms, TraceID: event.TraceID{0: byte(i % 2)},
				Attributes: []event.Attr{{Key: "retry.delay_ms", Value: delay}, {Key: "peer.service", Value: message}},
			}
			if k == event.KindEvent {
				e.Name = productName
			}
			evs = append(evs, e)
		}
		lines, sum := BuildStory(evs)
		for i, l := range lines {
			if l.Ref < -1 || l.Ref >= len(evs) || (l.Ref == -1) != (l.Kind == LineGap) {
				t.Fatalf("line %d %+v has a bad ref", i, l)
			}
			if strings.TrimSpace(l.Text) == "" && l.Kind != LineGap {
				t.Fatalf("line %d is empty", i)
			}
		}
		if len(evs) > 0 && sum.Outcome == "" {
			t.Fatal("no outcome")
		}
		var b strings.Builder
		if err := RenderText(&b, Result{Events: evs, Story: lines, Summary: sum}, true); err != nil {
			t.Fatal(err)
		}
	})
}
