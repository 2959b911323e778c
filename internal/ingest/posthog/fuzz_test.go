package posthog

import (
	"testing"

	"github.com/lore-dev/lore/internal/ingest/segment"
)

// FuzzCapture checks that any body fails as a whole or becomes events
// obeying the shared rules, plus rejections, one per message.
func FuzzCapture(f *testing.F) {
	f.Add([]byte(`{"api_key":"k","batch":[{"event":"$pageview","properties":{"distinct_id":"d","$current_url":"http://x/y"}}]}`), "", "")
	f.Add([]byte(`data=eyJldmVudCI6ImUiLCJkaXN0aW5jdF9pZCI6ImQifQ%3D%3D`), "application/x-www-form-urlencoded", "")
	f.Add([]byte(`[{"event":"$identify","distinct_id":"u","properties":{"$anon_distinct_id":"a"}},null,3]`), "", "gzip-js")
	f.Add([]byte(`{"event":"$create_alias","properties":{"distinct_id":"u","alias":"v"},"offset":-99999999999}`), "", "")
	f.Add([]byte(`{"api_key":"k","event":"$exception","distinct_id":"u","properties":{"$exception_list":[{"type":"TypeError","value":"x","mechanism":{"handled":false},"stacktrace":{"frames":[{"filename":"app.js","function":"f","in_app":true},{"function":"func1"}]}}],"$exception_fingerprint":["a",1]}}`), "", "")
	f.Fuzz(func(t *testing.T, body []byte, ct, compression string) {
		b, err := Unpack(body, ct, compression, 1<<20)
		if err != nil {
			return
		}
		o := segment.Options{ProjectID: 1}.WithDefaults()
		res := Decode(b, o)
		if len(res.Events)+len(res.Rejected) != len(b.Messages) {
			t.Fatalf("%d events + %d rejected != %d messages", len(res.Events), len(res.Rejected), len(b.Messages))
		}
		for _, e := range res.Events {
			if e.Name == "" || e.UserID == "" && e.AnonymousID == "" || e.TS > o.Now+o.MaxFuture.Microseconds() {
				t.Fatalf("event breaks the rules: %+v", e)
			}
		}
	})
}
