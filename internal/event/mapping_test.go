package event

import (
	"errors"
	"testing"
)

func TestMapperSpellings(t *testing.T) {
	// f maps the fields kv (key, value, key, value…) and checks one column.
	f := func(get func(*Event) string, want string, kv ...string) {
		t.Helper()
		var e Event
		var m Mapper
		m.Reset(&e)
		for i := 0; i+1 < len(kv); i += 2 {
			if err := m.Set(kv[i], kv[i+1]); err != nil {
				t.Fatalf("Set(%q, %q): %v", kv[i], kv[i+1], err)
			}
		}
		m.Finish()
		if got := get(&e); got != want {
			t.Errorf("%q: got %q, want %q (attributes %v)", kv, got, want, e.Attributes)
		}
	}
	msg := func(e *Event) string { return e.Message }
	name := func(e *Event) string { return e.Name }
	svc := func(e *Event) string { return e.Service }
	lvl := func(e *Event) string { return e.Level }
	kind := func(e *Event) string { return e.Kind }
	trace := func(e *Event) string { return e.TraceID.String() }
	span := func(e *Event) string { return e.SpanID.String() }

	f(msg, "hello", "msg", "hello")
	f(msg, "hello", "message", "hello")
	f(msg, "hello", "@m", "hello")
	f(msg, "hello", "body", "hello")
	f(msg, "hello", "event", "hello")
	f(msg, "hi bob, 3 items", "@mt", "hi {Name}, {Count:000} items", "Name", "bob", "Count", "3")
	f(msg, "user u1 {missing}", "@mt", "user {user_id} {missing}", "user_id", "u1")
	f(name, "Signed Up", "kind", "event", "event", "Signed Up")
	f(name, "/pricing", "event", "/pricing", "kind", "pageview")
	f(msg, "", "event", "Signed Up", "kind", "event")
	f(svc, "api", "name", "api", "v", "0")
	f(svc, "api", "level", "30", "name", "api")
	f(name, "api", "name", "api")
	f(lvl, "info", "@mt", "x")
	f(lvl, "", "msg", "x")
	f(lvl, "warn", "severity_number", "13")
	f(lvl, "error", "severity_number", "9", "severity_text", "ERROR")
	f(kind, "log", "msg", "x")
	f(kind, "span", "kind", "span")
	f(trace, "4bf92f3577b34da6a3ce929d0e0e4736", "trace.id", "4bf92f3577b34da6a3ce929d0e0e4736")
	f(trace, "0000000000000000a3ce929d0e0e4736", "traceId", "a3ce929d0e0e4736")
	f(trace, "4bf92f3577b34da6a3ce929d0e0e4736", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "trace_id", "4bf92f3577b34da6a3ce929d0e0e4736")
	f(span, "00f067aa0ba902b7", "span_id", "00f067aa0ba902b7", "traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-b7ad6b7169203331-01")
	// A backend that logs the sentry-trace header it received joins the
	// browser's trace as one logging traceparent does.
	f(trace, "0af7651916cd43dd8448eb211c80319c", "sentry-trace", "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1")
	f(span, "b7ad6b7169203331", "sentry_trace", "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331")
	f(trace, "", "sentry-trace", "0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1-x")
	f(func(e *Event) string { return e.Endpoint }, "/a", "url.full", "http://h/a?q=1")
	f(func(e *Event) string { return e.Endpoint }, "/", "url", "http://h")
	f(func(e *Event) string { v, _ := e.Attr("level"); return v }, "loud", "level", "loud")
}

func TestMapperNeverDrops(t *testing.T) {
	var e Event
	var m Mapper
	m.Reset(&e)
	for _, kv := range [][2]string{{"msg", "a"}, {"message", "b"}, {"service", "s"}, {"svc", "t"}, {"status", "ok"}, {"x.y", "1"}, {"attributes.z", "2"}} {
		if err := m.Set(kv[0], kv[1]); err != nil {
			t.Fatal(err)
		}
	}
	m.Finish()
	// msg and message are equally specific: the first one wins.
	want := map[string]string{"message": "b", "svc": "t", "status": "ok", "x.y": "1", "z": "2"}
	if e.Message != "a" || e.Service != "s" {
		t.Errorf("message %q service %q", e.Message, e.Service)
	}
	for k, v := range want {
		if got, ok := e.Attr(k); !ok || got != v {
			t.Errorf("attribute %s = %q, %v; want %q (all %v)", k, got, ok, v, e.Attributes)
		}
	}
}

func TestMapperReuse(t *testing.T) {
	var m Mapper
	var a, b Event
	m.Reset(&a)
	_ = m.Set("@mt", "x {A}")
	_ = m.Set("name", "n")
	_ = m.Set("message", "first")
	m.Finish()
	m.Reset(&b)
	_ = m.Set("msg", "second")
	m.Finish()
	if b.Message != "second" || b.Name != "" || b.Level != "" || len(b.Attributes) != 0 {
		t.Errorf("state leaked into the next record: %+v", b)
	}
}

func TestApplyField(t *testing.T) {
	var e Event
	if err := ApplyField(&e, "http.response.status_code", "503"); err != nil {
		t.Fatal(err)
	}
	if err := ApplyField(&e, "enduser.id", "u7"); err != nil {
		t.Fatal(err)
	}
	if err := ApplyField(&e, "custom", "v"); err != nil {
		t.Fatal(err)
	}
	if e.HTTPStatus != 503 || e.UserID != "u7" || e.Kind != "" {
		t.Errorf("%+v", e)
	}
	if v, _ := e.Attr("custom"); v != "v" {
		t.Errorf("attributes %v", e.Attributes)
	}
	if err := ApplyField(&e, "time", "2024-13-45"); !errors.Is(err, ErrInvalidTime) || err.Error() != `invalid timestamp: cannot parse "2024-13-45"` {
		t.Errorf("err %v", err)
	}
}

func TestNormalizeLevel(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		got, ok := NormalizeLevel(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizeLevel(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	f("trace", "debug")
	f("DEBUG", "debug")
	f("Information", "info")
	f("notice", "info")
	f("WARNING", "warn")
	f("warn", "warn")
	f("err", "error")
	f("Error", "error")
	f("critical", "fatal")
	f("crit", "fatal")
	f("panic", "fatal")
	f("dpanic", "fatal")
	f("alert", "fatal")
	f("emerg", "fatal")
	f("Fatal", "fatal")
	f("10", "debug")
	f("20", "debug")
	f("30", "info")
	f("40", "warn")
	f("50", "error")
	f("60", "fatal")
	f("INFO+2", "info")
	f("INFO+4", "warn")
	f("DEBUG-4", "debug")
	f("ERROR+4", "error")
	f("WARN-8", "debug")
	f("loud", "")
	f("", "")
	f("3", "")
	f("INFO+x", "")
	if l, _ := SyslogSeverityLevel(3); l != "error" {
		t.Errorf("syslog 3 = %q", l)
	}
	if l, _ := OTelSeverityLevel(21); l != "fatal" {
		t.Errorf("otel 21 = %q", l)
	}
}

func TestParseTime(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		us, err := ParseTime(in)
		if want == "" {
			if err == nil || !errors.Is(err, ErrInvalidTime) {
				t.Errorf("ParseTime(%q) = %s, %v; want an error", in, FormatMicros(us), err)
			}
			return
		}
		if err != nil || FormatMicros(us) != want {
			t.Errorf("ParseTime(%q) = %s, %v; want %s", in, FormatMicros(us), err, want)
		}
	}
	f("2024-05-01T09:15:40.123Z", "2024-05-01T09:15:40.123000Z")
	f("2024-05-01T09:15:40.123456789+02:00", "2024-05-01T07:15:40.123456Z")
	f("2024-05-01T09:15:40-0130", "2024-05-01T10:45:40.000000Z")
	f("2024-05-01T09:15:40+05", "2024-05-01T04:15:40.000000Z")
	f("2024-05-01 09:15:40,123", "2024-05-01T09:15:40.123000Z")
	f("2024-05-01 09:15:40 UTC", "2024-05-01T09:15:40.000000Z")
	f("2024-05-01T09:15", "2024-05-01T09:15:00.000000Z")
	f("2024/05/01 09:15:40", "2024-05-01T09:15:40.000000Z")
	f("2024-05-01", "2024-05-01T00:00:00.000000Z")
	f("2024-02-29T00:00:00Z", "2024-02-29T00:00:00.000000Z")
	f("1714554940", "2024-05-01T09:15:40.000000Z")
	f("1714554940.5", "2024-05-01T09:15:40.500000Z")
	f("1714554940.123456", "2024-05-01T09:15:40.123456Z")
	f("1714554940123", "2024-05-01T09:15:40.123000Z")
	f("1714554940123.5", "2024-05-01T09:15:40.123500Z")
	f("1714554940123456", "2024-05-01T09:15:40.123456Z")
	f("1714554940123456789", "2024-05-01T09:15:40.123456Z")
	f("1.714554940123e9", "2024-05-01T09:15:40.123000Z")
	f("Wed, 01 May 2024 09:15:40 +0000", "2024-05-01T09:15:40.000000Z")
	f("Sun Dec 04 04:47:44 2005", "2005-12-04T04:47:44.000000Z")
	f("01/May/2024:09:15:40 +0200", "2024-05-01T07:15:40.000000Z")
	f("2024-13-45", "")
	f("2024-02-30T00:00:00Z", "")
	f("2023-02-29", "")
	f("2024-05-01T25:00:00Z", "")
	f("2024-05-01T09:15:40+99:00", "")
	f("yesterday", "")
	f("", "")
	f("-1", "")
	f("0", "")
	f("99999999999999999999", "")
	f("1e300", "")
	f("NaN", "")
}

func TestParseDurationMS(t *testing.T) {
	f := func(in, unit string, want float64, ok bool) {
		t.Helper()
		got, gotOK := ParseDurationMS(in, unit)
		if got != want || gotOK != ok {
			t.Errorf("ParseDurationMS(%q, %q) = %v, %v; want %v, %v", in, unit, got, gotOK, want, ok)
		}
	}
	f("1.5s", "ms", 1500, true)
	f("150ms", "s", 150, true)
	f("2m3s", "ms", 123000, true)
	f("250µs", "ms", 0.25, true)
	f("150 ms", "ms", 150, true)
	f("1.5 sec", "ms", 1500, true)
	f("42", "ms", 42, true)
	f("42", "s", 42000, true)
	f("42", "us", 0.042, true)
	f("2000000", "ns", 2, true)
	f("-5", "ms", 0, false)
	f("soon", "ms", 0, false)
	f("5 parsecs", "ms", 0, false)
}
