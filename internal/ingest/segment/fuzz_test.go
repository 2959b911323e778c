package segment

import (
	"testing"
	"unicode/utf8"
)

// FuzzDecode checks that any body either fails as a whole or yields, for
// every message, an event obeying the shared rules or a rejection.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"batch":[{"type":"track","userId":"u","event":"e","properties":{"a":{"b":[1,{"c":null}]}}},{"type":"page","anonymousId":"a"}]}`), "batch")
	f.Add([]byte(`{"userId":"u","event":"e","timestamp":"9999-12-31T23:59:59Z","sentAt":"1970-01-01T00:00:00Z"}`), "track")
	f.Add([]byte(`{"userId":"new","previousId":"old"}`), "alias")
	f.Add([]byte(`{"anonymousId":"a","context":{"page":{"url":"%zz"},"userAgent":"Mozilla/5.0 (iPad)"}}`), "page")
	f.Add([]byte(`{"batch":[1,"x",null,{}]}`), "batch")
	f.Fuzz(func(t *testing.T, body []byte, typ string) {
		o := opts().WithDefaults()
		res, err := Decode(body, typ, o)
		if err != nil {
			return
		}
		for _, e := range res.Events {
			if e.Name == "" || e.UserID == "" && e.AnonymousID == "" {
				t.Fatalf("event without a name or id: %+v", e)
			}
			if e.TS > o.Now+o.MaxFuture.Microseconds() {
				t.Fatalf("future timestamp kept: %d", e.TS)
			}
			if len(e.Attributes) > o.MaxProperties+4 {
				t.Fatalf("%d attributes kept", len(e.Attributes))
			}
			for _, a := range e.Attributes {
				if len(a.Value) > o.MaxValueBytes {
					t.Fatalf("attribute %q of %d bytes", a.Key, len(a.Value))
				}
				if utf8.ValidString(body2s(body)) && !utf8.ValidString(a.Value) {
					t.Fatalf("truncation split a character in %q", a.Key)
				}
			}
		}
		for _, r := range res.Rejected {
			if r.Reason == "" {
				t.Fatalf("rejection without a reason: %+v", r)
			}
		}
	})
}

func body2s(b []byte) string { return string(b) }
