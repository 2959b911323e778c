package segment

import (
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixMicro()

func opts() Options { return Options{ProjectID: 3, Now: now} }

func TestDecodeCalls(t *testing.T) {
	f := func(typ, body string, check func(t *testing.T, e event.Event)) {
		t.Helper()
		res, err := Decode([]byte(body), typ, opts())
		if err != nil {
			t.Fatalf("Decode(%s, %s): %v", typ, body, err)
		}
		if len(res.Events) != 1 || len(res.Rejected) != 0 {
			t.Fatalf("Decode(%s, %s) = %+v", typ, body, res)
		}
		e := res.Events[0]
		if e.ProjectID != 3 || e.ReceivedAt != now {
			t.Errorf("project, received = %d, %d", e.ProjectID, e.ReceivedAt)
		}
		check(t, e)
	}
	attr := func(t *testing.T, e event.Event, k, want string) {
		t.Helper()
		if v, _ := e.Attr(k); v != want {
			t.Errorf("%s = %q, want %q (attrs %v)", k, v, want, e.Attributes)
		}
	}
	f(TypeTrack, `{"userId":"u1","event":"Order Completed","timestamp":"2026-03-01T11:00:00Z","properties":{"total":19.5,"items":[1,2],"coupon":null}}`,
		func(t *testing.T, e event.Event) {
			if e.Kind != event.KindEvent || e.Name != "Order Completed" || e.UserID != "u1" || e.TS != now-3600e6 {
				t.Errorf("event = %+v", e)
			}
			attr(t, e, "total", "19.5")
			attr(t, e, "items", "[1,2]")
			if _, ok := e.Attr("coupon"); ok {
				t.Error("null property kept")
			}
		})
	f(TypePage, `{"anonymousId":"a1","properties":{"url":"https://x.example/pricing?utm_source=g"},"context":{"sessionId":"s9"}}`,
		func(t *testing.T, e event.Event) {
			if e.Kind != event.KindPageview || e.Name != "/pricing" || e.AnonymousID != "a1" || e.SessionID != "s9" || e.TS != now {
				t.Errorf("page = %+v", e)
			}
			attr(t, e, "path", "/pricing")
			attr(t, e, "utm_source", "g")
		})
	f(TypeScreen, `{"userId":"u","name":"Settings"}`, func(t *testing.T, e event.Event) {
		if e.Kind != event.KindPageview || e.Name != "Settings" {
			t.Errorf("screen = %+v", e)
		}
		attr(t, e, "screen", "true")
	})
	f(TypeIdentify, `{"userId":"u","anonymousId":"a","traits":{"plan":"pro","address":{"city":"Lyon"}}}`, func(t *testing.T, e event.Event) {
		if e.Name != NameIdentify || e.UserID != "u" || e.AnonymousID != "a" {
			t.Errorf("identify = %+v", e)
		}
		attr(t, e, "plan", "pro")
		attr(t, e, "address.city", "Lyon")
	})
	f(TypeAlias, `{"userId":"new","previousId":"old"}`, func(t *testing.T, e event.Event) {
		if e.Name != NameAlias || e.UserID != "new" || e.AnonymousID != "old" {
			t.Errorf("alias = %+v", e)
		}
	})
	f(TypeGroup, `{"userId":"u","groupId":"acme","traits":{"size":10}}`, func(t *testing.T, e event.Event) {
		attr(t, e, "group_id", "acme")
		attr(t, e, "size", "10")
	})
	// Clock skew: the device is 10 minutes fast; Segment's correction.
	f(TypeTrack, `{"userId":"u","event":"e","timestamp":"2026-03-01T12:05:00Z","sentAt":"2026-03-01T12:10:00Z"}`, func(t *testing.T, e event.Event) {
		if want := now - 5*60e6; e.TS != int64(want) {
			t.Errorf("ts = %s, want 11:55", event.FormatMicros(e.TS))
		}
	})
	f(TypeTrack, `{"userId":"u","event":"e","context":{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"}}`,
		func(t *testing.T, e event.Event) {
			if e.TraceID.String() != "4bf92f3577b34da6a3ce929d0e0e4736" || e.SpanID.String() != "00f067aa0ba902b7" {
				t.Errorf("trace = %s/%s", e.TraceID, e.SpanID)
			}
			attr(t, e, "browser", "Safari")
			attr(t, e, "os", "iOS")
			attr(t, e, "device_type", "mobile")
		})
}

func TestBadInput(t *testing.T) {
	f := func(body, reason string) {
		t.Helper()
		res, err := Decode([]byte(body), TypeBatch, opts())
		if err != nil {
			t.Fatalf("Decode(%s): %v", body, err)
		}
		if len(res.Rejected) != 1 || res.Rejected[0].Reason != reason {
			t.Errorf("Decode(%s) rejected %+v, want %q", body, res.Rejected, reason)
		}
	}
	f(`{"batch":[{"type":"track","userId":"u"}]}`, "missing event name")
	f(`{"batch":[{"type":"track","event":"x"}]}`, "missing id")
	f(`{"batch":[{"type":"alias","userId":"u"}]}`, "missing id")
	f(`{"batch":[{"type":"group","userId":"u"}]}`, "missing id")
	f(`{"batch":[{"userId":"u","event":"x"}]}`, "invalid message")
	f(`{"batch":[{"type":"boom","userId":"u"}]}`, "invalid message")
	f(`{"batch":[42]}`, "invalid message")
	for _, body := range []string{``, `[]`, `{"batch":{}}`, `{"batch":[`} {
		if _, err := Decode([]byte(body), TypeBatch, opts()); err == nil {
			t.Errorf("Decode(%q): no error", body)
		}
	}
}

func TestClampAndTruncate(t *testing.T) {
	props := `{"a_long":"` + strings.Repeat("é", 5000) + `"`
	for i := range 300 {
		props += `,"k` + strings.Repeat("0", 3-len(itoa(i))) + itoa(i) + `":"v"`
	}
	props += "}"
	res, err := Decode([]byte(`{"userId":"u","event":"e","timestamp":"2030-01-01T00:00:00Z","properties":`+props+`}`), TypeTrack, opts())
	if err != nil || len(res.Events) != 1 {
		t.Fatalf("Decode: %+v %v", res, err)
	}
	e := res.Events[0]
	if e.TS != now {
		t.Errorf("ts = %s, want clamped to now", event.FormatMicros(e.TS))
	}
	for k, want := range map[string]string{FlagClampedTS: "true", FlagOriginalTS: "2030-01-01T00:00:00.000000Z", FlagTruncated: "true", FlagDroppedProps: "45"} {
		if v, _ := e.Attr(k); v != want {
			t.Errorf("%s = %q, want %q", k, v, want)
		}
	}
	if v, _ := e.Attr("a_long"); len(v) > 8192 || len(v) < 8190 || !strings.HasSuffix(v, "é") {
		t.Errorf("long value cut to %d bytes, or inside a character", len(v))
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestParseUserAgent(t *testing.T) {
	f := func(ua, b, os, dev string) {
		t.Helper()
		gb, gos, gdev := ParseUserAgent(ua)
		if gb != b || gos != os || gdev != dev {
			t.Errorf("ParseUserAgent(%q) = %q, %q, %q; want %q, %q, %q", ua, gb, gos, gdev, b, os, dev)
		}
	}
	f("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.0.0", "Edge", "Windows", "desktop")
	f("Mozilla/5.0 (X11; Linux x86_64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox", "Linux", "desktop")
	f("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36", "Chrome", "Android", "mobile")
	f("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1", "Safari", "iOS", "tablet")
	f("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "Bot", "", "bot")
	f("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36", "Headless Chrome", "Linux", "desktop")
	f("", "", "", "")
}

// TestWriteKeyInBody: analytics-next sends its write key in the body.
func TestWriteKeyInBody(t *testing.T) {
	for typ, body := range map[string]string{
		TypeTrack: `{"type":"track","event":"x","anonymousId":"a","writeKey":"wk1"}`,
		TypeBatch: `{"batch":[{"type":"track","event":"x","anonymousId":"a"}],"writeKey":"wk1"}`,
	} {
		res, err := Decode([]byte(body), typ, Options{ProjectID: 1})
		if err != nil || res.WriteKey != "wk1" || len(res.Events) != 1 {
			t.Errorf("%s: key %q, %d events, %v", typ, res.WriteKey, len(res.Events), err)
		}
	}
}
