package posthog

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"net/url"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/segment"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).UnixMicro()

func gz(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestUnpackForms(t *testing.T) {
	const single = `{"api_key":"k1","event":"e","distinct_id":"d"}`
	b64 := base64.StdEncoding.EncodeToString([]byte(single))
	f := func(name string, body []byte, ct, compression, key string, n int) {
		t.Helper()
		b, err := Unpack(body, ct, compression, 1<<20)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b.Key != key || len(b.Messages) != n {
			t.Errorf("%s: key %q, %d messages; want %q, %d", name, b.Key, len(b.Messages), key, n)
		}
	}
	f("single", []byte(single), "application/json", "", "k1", 1)
	f("batch", []byte(`{"api_key":"k2","batch":[{"event":"a","distinct_id":"d"},{"event":"b","distinct_id":"d"}]}`), "application/json", "", "k2", 2)
	f("array with token", []byte(`[{"event":"a","properties":{"distinct_id":"d","token":"k3"}}]`), "text/plain", "", "k3", 1)
	f("form base64", []byte(url.Values{"data": {b64}}.Encode()), "application/x-www-form-urlencoded", "", "k1", 1)
	f("form gzip-js", []byte(url.Values{"data": {base64.StdEncoding.EncodeToString(gz(single))}, "compression": {"gzip-js"}}.Encode()), "application/x-www-form-urlencoded", "", "k1", 1)
	f("raw gzip", gz(single), "text/plain", "gzip-js", "k1", 1)
	f("raw base64", []byte(b64), "text/plain", "", "k1", 1)
	for _, bad := range []string{``, `"x"`, `{"foo":1}`, `data=%%%`, `@@@`} {
		if _, err := Unpack([]byte(bad), "", "", 1<<20); err == nil {
			t.Errorf("Unpack(%q): no error", bad)
		}
	}
	if _, err := Unpack([]byte(single), "", "lz64", 1<<20); err == nil {
		t.Error("lz64: no error")
	}
}

func TestDecodeIdentities(t *testing.T) {
	b, err := Unpack([]byte(`{"api_key":"k","batch":[
		{"event":"$pageview","timestamp":"2026-03-01T11:00:00Z","properties":{"distinct_id":"dev","$device_id":"dev","$current_url":"https://s.example/a?x=1","$session_id":"s1","$browser":"Firefox"}},
		{"event":"$identify","distinct_id":"ann","properties":{"$anon_distinct_id":"dev"},"$set":{"plan":"pro"}},
		{"event":"$create_alias","properties":{"distinct_id":"ann","alias":"ann-old"}},
		{"event":"bought","distinct_id":"ann","offset":1000,"properties":{"amount":3}},
		{"event":"$exception","distinct_id":"ann","properties":{"$exception_type":"TypeError","$exception_message":"x is undefined"}},
		{"event":"","distinct_id":"ann"},
		{"event":"nobody"},
		{"event":"anon click","distinct_id":"dev2","properties":{"$is_identified":false}}
	]}`), "", "", 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	res := Decode(b, segment.Options{ProjectID: 1, Now: now})
	if len(res.Events) != 6 || len(res.Rejected) != 2 || res.Rejected[0].Reason != "missing event name" || res.Rejected[1].Reason != "missing id" {
		t.Fatalf("events %d, rejected %+v", len(res.Events), res.Rejected)
	}
	pv, id, al, buy, exc := res.Events[0], res.Events[1], res.Events[2], res.Events[3], res.Events[4]
	if pv.Kind != event.KindPageview || pv.Name != "/a" || pv.AnonymousID != "dev" || pv.UserID != "" || pv.SessionID != "s1" || pv.TS != now-3600e6 {
		t.Errorf("pageview = %+v", pv)
	}
	if v, _ := pv.Attr("browser"); v != "Firefox" {
		t.Errorf("browser = %q", v)
	}
	if id.UserID != "ann" || id.AnonymousID != "dev" {
		t.Errorf("identify = %+v", id)
	}
	if v, _ := id.Attr("plan"); v != "pro" {
		t.Errorf("$set plan = %q", v)
	}
	if al.UserID != "ann" || al.AnonymousID != "ann-old" {
		t.Errorf("alias = %+v", al)
	}
	if buy.TS != now-1000e3 || buy.UserID != "ann" {
		t.Errorf("offset event = %+v", buy)
	}
	if anon := res.Events[5]; anon.AnonymousID != "dev2" || anon.UserID != "" {
		t.Errorf("$is_identified false = %+v", anon)
	}
	if exc.Kind != event.KindError || exc.ErrorType != "TypeError" || exc.Message != "x is undefined" {
		t.Errorf("exception = %+v", exc)
	}
}
