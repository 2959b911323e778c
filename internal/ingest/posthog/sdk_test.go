package posthog

import (
	"github.com/lore-dev/lore/internal/exception"
	"os"
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/segment"
)

// testdata/sdk/posthog-node-5.74-batch.json is the batch posthog-node 5.74
// sent for capture (an anonymous distinct id), identify with
// $anon_distinct_id, alias, capture and captureException.
func TestPostHogNodeBatch(t *testing.T) {
	body, err := os.ReadFile("testdata/sdk/posthog-node-5.74-batch.json")
	if err != nil {
		t.Fatal(err)
	}
	b, err := Unpack(body, "application/json", "", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	res := Decode(b, segment.Options{ProjectID: 1, Now: now})
	if len(res.Events) != 5 || len(res.Rejected) != 0 {
		t.Fatalf("events %d, rejected %+v", len(res.Events), res.Rejected)
	}
	ids := func(i int) [2]string { return [2]string{res.Events[i].UserID, res.Events[i].AnonymousID} }
	// posthog-node cannot tell an anonymous distinct id: it arrives as a
	// user id, and identify and alias link it to the person (the store's
	// journeys and analyses follow the links).
	for i, want := range [][2]string{{"anon-1", ""}, {"user-1", "anon-1"}, {"user-1", "anon-2"}, {"user-1", ""}, {"user-1", ""}} {
		if got := ids(i); got != want {
			t.Errorf("event %d (%s): ids %v, want %v", i, res.Events[i].Name, got, want)
		}
	}
	e := res.Events[4]
	if e.Kind != event.KindError || e.ErrorType != "TypeError" || e.Message != "Cannot read properties of null (reading 'amount')" || e.Fingerprint == "" {
		t.Fatalf("exception = %+v", e)
	}
	if c, _ := e.Attr(exception.AttrCulprit); c != "_probe in computeTotal" {
		t.Errorf("culprit %q", c)
	}
	if h, _ := e.Attr("handled"); h != "yes" {
		t.Errorf("handled %q", h)
	}
	excs := exception.FromEvent(&e)
	if len(excs) != 1 || len(excs[0].Frames) != 7 || excs[0].Frames[4].ContextLine == "" {
		t.Fatalf("exceptions %+v", excs)
	}
	for _, a := range e.Attributes {
		if a.Key == "$exception_list" {
			t.Error("$exception_list kept as a raw attribute")
		}
	}
}

func TestExceptionListGrouping(t *testing.T) {
	ev := func(typ, fn, fp string) event.Event {
		extra := ""
		if fp != "" {
			extra = `,"$exception_fingerprint":"` + fp + `"`
		}
		b, err := Unpack([]byte(`{"api_key":"k","event":"$exception","distinct_id":"u","properties":{"$exception_list":[{"type":"`+typ+`","value":"boom 7",
			"mechanism":{"type":"onunhandledrejection","handled":false},"stacktrace":{"type":"raw","frames":[{"filename":"app.js","function":"`+fn+`","lineno":3,"colno":9,"in_app":true}]}}]`+extra+`}}`), "", "", 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		res := Decode(b, segment.Options{ProjectID: 1, Now: now})
		if len(res.Events) != 1 {
			t.Fatalf("%+v", res)
		}
		return res.Events[0]
	}
	a, b, c := ev("TypeError", "pay", ""), ev("RangeError", "refund", ""), ev("TypeError", "pay", "")
	if a.Fingerprint == b.Fingerprint || a.Fingerprint != c.Fingerprint {
		t.Errorf("fingerprints %s %s %s: want different exceptions apart, the same together", a.Fingerprint, b.Fingerprint, c.Fingerprint)
	}
	if d := ev("TypeError", "pay", "checkout-errors"); d.Fingerprint == a.Fingerprint {
		t.Error("$exception_fingerprint ignored")
	}
	if h, _ := a.Attr("handled"); h != "no" || exception.Title(a.ErrorType, a.Message) != "TypeError: boom 7" {
		t.Errorf("handled %q, title %q", h, exception.Title(a.ErrorType, a.Message))
	}
}

func TestDeviceTypeFolded(t *testing.T) {
	b, _ := Unpack([]byte(`{"api_key":"k","event":"$pageview","distinct_id":"u","properties":{"$device_type":"Desktop","$current_url":"https://s/x"}}`), "", "", 1<<20)
	e := Decode(b, segment.Options{ProjectID: 1, Now: now}).Events[0]
	if v, _ := e.Attr("device_type"); v != "desktop" {
		t.Errorf("device_type %q", v)
	}
}

func TestSentryTraceJoins(t *testing.T) {
	b, _ := Unpack([]byte(`{"api_key":"k","event":"clicked","distinct_id":"u","properties":{"sentry-trace":"0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1"}}`), "", "", 1<<20)
	e := Decode(b, segment.Options{ProjectID: 1, Now: now}).Events[0]
	if e.TraceID.String() != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("trace %q", e.TraceID)
	}
}
