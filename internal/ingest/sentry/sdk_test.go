package sentry

import (
	"github.com/lore-dev/lore/internal/exception"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

// The envelopes in testdata/sdk were sent by the real SDKs (@sentry/node
// 11.12 serving a request, @sentry/browser 11.17 in Chromium) to a capture
// server (the replay recording's binary payload rebuilt, as the capture
// mangled it); the clients suite (scripts/clients-test.sh) drives the same
// SDKs against a whole Lore.
func decodeSDK(t *testing.T, name string) Result {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata/sdk", name+".envelope"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := DecodeEnvelope(b, Options{ProjectID: 1, Now: 1})
	if err != nil || len(res.Errors) > 0 {
		t.Fatalf("%s: %v %+v", name, err, res.Errors)
	}
	return res
}

func attr(e *event.Event, k string) string {
	v, _ := e.Attr(k)
	return v
}

func TestNodeV2ServerSpan(t *testing.T) {
	res := decodeSDK(t, "node-11.12-server-span")
	if len(res.Events) != 1 || res.Accepted["span"] != 1 {
		t.Fatalf("events %d, accepted %v", len(res.Events), res.Accepted)
	}
	e := res.Events[0]
	if e.Kind != event.KindSpan || e.Name != "POST" || e.HTTPMethod != "POST" || e.Endpoint != "/checkout" || e.HTTPStatus != 500 ||
		e.Level != event.LevelError || e.Service != "checkout" || e.Release != "checkout@1.2.3" || e.Env != "test" || e.UserID != "u-1" ||
		e.TraceID.String() != "0af7651916cd43dd8448eb211c80319c" || e.ParentSpanID.String() != "b7ad6b7169203331" || e.SpanID.IsZero() || e.DurationMS <= 0 {
		t.Errorf("server span = %+v", e)
	}
	for k, want := range map[string]string{"span.op": "http.server", "transaction": "POST", "segment": "true", "sentry.sdk": "sentry.javascript.node/11.12.0", "url.query": "x=1"} {
		if got := attr(&e, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, a := range e.Attributes {
		if a.Key == "sentry.sdk.integrations" || a.Key == "http.request.header.sentry-trace" {
			t.Errorf("kept %s", a.Key)
		}
	}
}

func TestNodeV2LogSpanID(t *testing.T) {
	e := decodeSDK(t, "node-11.12-log").Events[0]
	if e.Kind != event.KindLog || e.Message != "checkout started" || e.SpanID.IsZero() || e.TraceID.IsZero() || e.Service != "checkout" || e.UserID != "u-1" {
		t.Errorf("log = %+v", e)
	}
	if v := attr(&e, "cart"); v != "3" {
		t.Errorf("cart = %q", v)
	}
}

func TestNodeEventDetails(t *testing.T) {
	res := decodeSDK(t, "node-11.12-event")
	e := res.Events[0]
	if e.ErrorType != "TypeError" || e.Service != "checkout" || e.HTTPMethod != "POST" || e.Endpoint != "/checkout" {
		t.Errorf("event = %+v", e)
	}
	for k, want := range map[string]string{
		exception.AttrCulprit: "_probe in computeTotal", // the callback inside reduce is skipped
		AttrHandled:           "yes", AttrMechanism: "generic", AttrTags: "plan", "plan": "pro",
	} {
		if got := attr(&e, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, f := range exception.FromEvent(&e)[0].Frames {
		if f.InApp && (f.Filename == "<anonymous>" || f.Module == "node:events") {
			t.Errorf("runtime frame in-app: %+v", f)
		}
	}
}

func TestNodeSessionsCountedUnstored(t *testing.T) {
	res := decodeSDK(t, "node-11.12-sessions")
	if res.Accepted["sessions"] != 1 || res.Unstored["sessions"] != 1 || len(res.Events) != 0 {
		t.Errorf("accepted %v unstored %v", res.Accepted, res.Unstored)
	}
}

func TestBrowserV2Spans(t *testing.T) {
	res := decodeSDK(t, "browser-11.17-spans")
	if len(res.Events) != 20 {
		t.Fatalf("%d spans, want 20", len(res.Events))
	}
	var root, client *event.Event
	for i := range res.Events {
		e := &res.Events[i]
		if e.Kind != event.KindSpan || e.Service != "web" || e.Release != "web@1.0.0" || e.Env != "test" || e.TraceID.String() != "5842b4c9426543e793452a44a29499a7" {
			t.Errorf("span %d = %+v", i, e)
		}
		switch attr(e, "span.op") {
		case "pageload":
			root = e
		case "http.client":
			client = e
		}
	}
	if root == nil || root.Name != "Pageload" || root.Endpoint != "/" || attr(root, "segment") != "true" || !root.ParentSpanID.IsZero() {
		t.Fatalf("pageload root = %+v", root)
	}
	for k, want := range map[string]string{"measurements.ttfb": "148", "measurements.fcp": "536", "browser": "Headless Chrome", "os": "Linux", "device_type": "desktop"} {
		if got := attr(root, k); got != want {
			t.Errorf("root %s = %q, want %q", k, got, want)
		}
	}
	if client == nil || client.HTTPMethod != "GET" || client.HTTPStatus != 200 || client.Endpoint != "" || attr(client, "transaction") != "Pageload" {
		t.Errorf("http.client span = %+v", client)
	}
}

func TestBrowserLCPSpan(t *testing.T) {
	e := decodeSDK(t, "browser-11.17-lcp-span").Events[0]
	if attr(&e, "span.op") != "ui.webvital.lcp" || attr(&e, "measurements.lcp") != "536" {
		t.Errorf("lcp span = %+v", e)
	}
}

func TestBrowserEventUserAgent(t *testing.T) {
	e := decodeSDK(t, "browser-11.17-event").Events[0]
	for k, want := range map[string]string{"browser": "Headless Chrome", "os": "Linux", "device_type": "desktop", AttrHandled: "yes"} {
		if got := attr(&e, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if e.Service != "web" {
		t.Errorf("service %q", e.Service)
	}
	// Array.reduce at <anonymous>, which the browser SDK marks in-app, is not.
	for _, f := range exception.FromEvent(&e)[0].Frames {
		if f.Function == "Array.reduce" && f.InApp {
			t.Error("Array.reduce in-app")
		}
	}
}

func TestReplayRateLimited(t *testing.T) {
	res := decodeSDK(t, "browser-11.17-replay")
	if !slices.Equal(res.RateLimited, []string{"replay"}) || res.Unstored["replay_event"] != 1 || res.Unstored["replay_recording"] != 1 || len(res.Events) != 0 {
		t.Errorf("rate limited %v, unstored %v", res.RateLimited, res.Unstored)
	}
}

func TestServiceWithoutNamedRelease(t *testing.T) {
	for _, c := range []struct{ release, sdk, want string }{
		{"shop@1.2.0", "sentry.go", "shop"},
		{"1.2.0", "sentry.python", "python"},
		{"", "sentry.javascript.browser", "browser"},
		{"", "sentry.javascript.node", "node"},
		{"", "sentry.go", "go"},
	} {
		rows, _, err := DecodeStore([]byte(`{"message":"x","release":"`+c.release+`","sdk":{"name":"`+c.sdk+`"}}`), Options{})
		if err != nil || rows[0].Service != c.want {
			t.Errorf("release %q sdk %q: service %q, want %q (%v)", c.release, c.sdk, rows[0].Service, c.want, err)
		}
	}
}

func TestGoClosureNamedAfterItsFunction(t *testing.T) {
	rows, _, err := DecodeStore([]byte(`{"platform":"go","exception":[{"type":"*errors.errorString","value":"card declined","stacktrace":{"frames":[
		{"function":"main","module":"main","abs_path":"/app/main.go","lineno":30,"in_app":true},
		{"function":"chargeCard","module":"main","abs_path":"/app/main.go","lineno":14,"in_app":true},
		{"function":"func1","module":"main","abs_path":"/app/main.go","lineno":13,"in_app":true}]}}]}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := attr(&rows[0], exception.AttrCulprit); c != "main in chargeCard.func1" {
		t.Errorf("culprit %q", c)
	}
}

func TestMechanismUnhandled(t *testing.T) {
	rows, _, err := DecodeStore([]byte(`{"exception":{"values":[{"type":"Error","value":"boom","mechanism":{"type":"onunhandledrejection","handled":false}}]},"tags":{"region":"eu","plan":"pro"}}`), Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := rows[0]
	if attr(&e, AttrHandled) != "no" || attr(&e, AttrMechanism) != "onunhandledrejection" || attr(&e, AttrTags) != "plan,region" {
		t.Errorf("attrs %+v", e.Attributes)
	}
}

func TestTransactionMeasurementsAndMethod(t *testing.T) {
	body := envelope(item("transaction", `{"type":"transaction","transaction":"/checkout","start_timestamp":1795269600.0,"timestamp":1795269601.0,
		"contexts":{"trace":{"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736","span_id":"1111111111111111","op":"pageload",
		"data":{"http.request.method":"GET","url.path":"/checkout"}}},
		"measurements":{"lcp":{"value":1234.5,"unit":"millisecond"},"fcp":{"value":800,"unit":"millisecond"},"ttfb":{"value":120,"unit":"millisecond"}}}`, false))
	res, err := DecodeEnvelope(body, Options{})
	if err != nil || len(res.Events) != 1 {
		t.Fatal(err, res)
	}
	e := res.Events[0]
	if e.HTTPMethod != "GET" || e.Endpoint != "/checkout" || attr(&e, "measurements.lcp") != "1234.5" || attr(&e, "measurements.ttfb") != "120" {
		t.Errorf("root = %+v", e)
	}
}

// TestBrowserStaticTransactionMeasurements: @sentry/browser 11 with
// traceLifecycle "static" sends a pageload transaction whose measurements
// (LCP, FCP, TTFB) are kept on its root span, with browser and OS.
func TestBrowserStaticTransactionMeasurements(t *testing.T) {
	res := decodeSDK(t, "browser-11.17-static-transaction")
	if res.Accepted["transaction"] != 1 || len(res.Events) < 2 {
		t.Fatalf("accepted %v, %d events", res.Accepted, len(res.Events))
	}
	root := res.Events[0]
	if attr(&root, "span.op") != "pageload" || root.Endpoint != "/" || root.Service != "web" {
		t.Errorf("root = %+v", root)
	}
	for k, want := range map[string]string{"measurements.lcp": "1148", "measurements.fcp": "1148", "browser": "Chrome", "os": "macOS"} {
		if got := attr(&root, k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if attr(&root, "measurements.ttfb") == "" {
		t.Error("no ttfb")
	}
}
