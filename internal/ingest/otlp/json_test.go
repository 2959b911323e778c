package otlp

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return b
}

func byName(evs []event.Event) map[string]event.Event {
	m := make(map[string]event.Event, len(evs))
	for _, e := range evs {
		m[e.Name] = e
	}
	return m
}

// usAt converts a fixture's nanosecond time to microseconds.
func usAt(ns int64) int64 { return ns / 1000 }

func TestDecodeTracesJSON(t *testing.T) {
	evs, rejected, err := DecodeTraces(readFixture(t, "traces.json"), "application/json; charset=utf-8", Options{ProjectID: 3, Now: testNow})
	if err != nil {
		t.Fatalf("DecodeTraces: %v", err)
	}
	if rejected != 1 {
		t.Errorf("rejected = %d, want 1 (the span with a 7-byte trace id)", rejected)
	}
	if len(evs) != 4 {
		t.Fatalf("got %d spans, want 4: %+v", len(evs), evs)
	}
	got := byName(evs)
	res := event.Event{ProjectID: 3, ReceivedAt: testNow, Kind: event.KindSpan, Service: "api", Env: "staging", Release: "2.0.0", Host: "api-1"}
	const traceID = "5b8efff798038103d269b633813fc60c"
	f := func(name string, want event.Event, spanID, parentID string, attrs map[string]string, absent ...string) {
		t.Helper()
		e, ok := got[name]
		if !ok {
			t.Errorf("no span %q", name)
			return
		}
		want.ProjectID, want.ReceivedAt, want.Kind, want.Name = res.ProjectID, res.ReceivedAt, res.Kind, name
		want.Service, want.Env, want.Release, want.Host = res.Service, res.Env, res.Release, res.Host
		checkColumns(t, e, want)
		checkIDs(t, e, traceID, spanID, parentID)
		attrs["telemetry.sdk.language"] = "python"
		attrs["otel.scope.name"] = "opentelemetry.instrumentation.flask"
		checkAttrs(t, e, attrs, absent...)
	}
	f("GET /users/:id", event.Event{TS: usAt(1544712660000000000), DurationMS: 120.5, Level: event.LevelInfo,
		HTTPMethod: "GET", Endpoint: "/users/42", HTTPStatus: 200, UserID: "u-42"},
		"eee19b7ec3c1b174", "",
		map[string]string{"span.kind": "server", "http.user_agent": "curl/8.5.0"},
		"http.target", "http.status_code", "user.id", "service.name", "deployment.environment")
	f("GET cache", event.Event{TS: usAt(1544712660010000000), DurationMS: 20, Level: event.LevelError,
		Message: "connection refused", ErrorType: "ConnectionError", Endpoint: "/get", RetryAttempt: 1},
		"eee19b7ec3c1b175", "eee19b7ec3c1b174",
		map[string]string{
			"span.kind":            "client",
			"db.system":            "redis",
			"ratio":                "0.25",
			"big":                  "1e+22",
			"event.cache.miss":     "5",
			"event.cache.miss.key": "user:42",
			"exception.stacktrace": "Traceback (most recent call last):\n  File \"app.py\", line 7",
			"exception.escaped":    "false",
			"exception.type":       "ConnectionError", // kept: it marks an exception
		}, "exception.message", "retry.attempt", "url.full")
	f("render", event.Event{TS: usAt(1544712660050000000), DurationMS: 10, Level: event.LevelError, Message: "render failed"},
		"eee19b7ec3c1b177", "eee19b7ec3c1b174", map[string]string{"span.kind": "internal"})
	f("base64 ids", event.Event{TS: usAt(1544712660070000000), Level: event.LevelInfo},
		"eee19b7ec3c1b176", "", map[string]string{"span.kind": "consumer"})
}

func TestDecodeLogsJSON(t *testing.T) {
	evs, rejected, err := DecodeLogs(readFixture(t, "logs.json"), "application/json", Options{ProjectID: 3, Now: testNow})
	if err != nil {
		t.Fatalf("DecodeLogs: %v", err)
	}
	if rejected != 1 {
		t.Errorf("rejected = %d, want 1 (the record with a 7-byte span id)", rejected)
	}
	if len(evs) != 4 {
		t.Fatalf("got %d log records, want 4: %+v", len(evs), evs)
	}
	byMsg := make(map[string]event.Event, len(evs))
	for _, e := range evs {
		byMsg[e.Message] = e
	}
	f := func(msg string, want event.Event, traceID, spanID string, attrs map[string]string) {
		t.Helper()
		e, ok := byMsg[msg]
		if !ok {
			t.Errorf("no log with message %q", msg)
			return
		}
		want.ProjectID, want.ReceivedAt, want.Kind, want.Message = 3, testNow, event.KindLog, msg
		want.Service, want.Env = "my.service", "prod"
		checkColumns(t, e, want)
		checkIDs(t, e, traceID, spanID, "")
		attrs["otel.scope.name"] = "my.library"
		checkAttrs(t, e, attrs, "service.name", "deployment.environment.name")
	}
	f("Example log record", event.Event{TS: usAt(1544712660300000000), Level: event.LevelInfo},
		"5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174",
		map[string]string{
			"string.attribute":  "some string",
			"boolean.attribute": "true",
			"int.attribute":     "10",
			"double.attribute":  "637.704",
			"array.attribute":   `["many","values"]`,
			"map.attribute":     `{"some.map.key":"some value"}`,
		})
	f(`{"msg":"payment failed","amount":12.5,"quote":"say \"hi\"\n"}`,
		event.Event{TS: usAt(1544712660400000000), Level: event.LevelError, ErrorType: "PaymentError", SessionID: "sess-9"},
		"", "", map[string]string{"exception.message": "card declined"})
	f("out of memory", event.Event{TS: testNow, Level: event.LevelFatal, Name: "app.crash"}, "", "", map[string]string{})
	f("no trace", event.Event{TS: usAt(1544712660600000000), Level: event.LevelDebug, Name: "cache.evicted"}, "", "", map[string]string{})
}
