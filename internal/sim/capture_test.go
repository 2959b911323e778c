package sim

import (
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/posthog"
	"github.com/lore-dev/lore/internal/ingest/segment"
)

// TestCaptureRoundTrip encodes browser events in the SDK's wire format and
// decodes them as Lore's /batch/ does: the ids, session, trace, page and
// attributes survive.
func TestCaptureRoundTrip(t *testing.T) {
	trace, _ := event.ParseTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	ts := int64(1_790_000_000_000_000)
	recs := []*rec{
		{ev: event.Event{TS: ts, Kind: event.KindPageview, Service: svcWeb, Env: envProd, Release: "web@1.2.0", TraceID: trace,
			AnonymousID: "anon-1", SessionID: "s-1", Name: "$pageview", Endpoint: "/cart",
			Attributes: []event.Attr{{Key: "browser", Value: "Firefox"}, {Key: "title", Value: "Cart | Example \"Shop\""}}}},
		{ev: event.Event{TS: ts + 1000, Kind: event.KindEvent, Service: svcWeb, TraceID: trace, SpanID: event.SpanIDFromUint64(7),
			UserID: "user_9", AnonymousID: "anon-1", SessionID: "s-1", Name: "Checkout Started", Endpoint: "/cart",
			Attributes: []event.Attr{{Key: "items", Value: "2"}}}},
	}
	b := []byte{'['}
	for i, r := range recs {
		if !captured(r) {
			t.Fatalf("record %d is not captured", i)
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = appendCapture(b, r)
	}
	b = append(b, ']')
	body, err := posthog.Unpack(b, "application/json", "", 1<<20)
	if err != nil {
		t.Fatalf("Unpack(%s): %v", b, err)
	}
	res := posthog.Decode(body, segment.Options{ProjectID: 1, Now: ts + 10e6})
	if len(res.Events) != 2 || len(res.Rejected) != 0 {
		t.Fatalf("decoded %+v", res)
	}
	pv, co := res.Events[0], res.Events[1]
	if pv.Kind != event.KindPageview || pv.Name != "/cart" || pv.AnonymousID != "anon-1" || pv.UserID != "" || pv.SessionID != "s-1" ||
		pv.TS != ts || pv.TraceID != trace || pv.Service != svcWeb || pv.Env != envProd || pv.Release != "web@1.2.0" {
		t.Errorf("page view = %+v", pv)
	}
	if v, _ := pv.Attr("title"); v != "Cart | Example \"Shop\"" {
		t.Errorf("title = %q", v)
	}
	if co.Name != "Checkout Started" || co.UserID != "user_9" || co.AnonymousID != "anon-1" || co.SpanID.Uint64() != 7 || co.TS != ts+1000 {
		t.Errorf("track = %+v", co)
	}
	if v, _ := co.Attr("path"); v != "/cart" {
		t.Errorf("path = %q", v)
	}
	if captured(&rec{ev: event.Event{Service: svcWeb, Kind: event.KindLog}}) || captured(&rec{ev: event.Event{Service: "api-gateway", Kind: event.KindEvent}}) {
		t.Error("browser logs or backend records would be captured")
	}
}
