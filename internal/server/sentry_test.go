package server

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// TestSentryUnstoredItems: items Lore keeps nothing of are counted by
// type in /metrics and logged once per type; a replay gets a rate-limit
// answer for the replay category, so the SDK stops uploading.
func TestSentryUnstoredItems(t *testing.T) {
	var logs bytes.Buffer
	q := &fakeQueue{}
	s := New(Deps{
		Auth: fakeAuth{"in": {ProjectID: 1, Role: meta.RoleIngest}},
		Sink: testSink(q, DefaultLimits()), Reader: fakeReader{}, Log: slog.New(slog.NewTextHandler(&logs, nil)),
		Now: func() time.Time { return time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC) },
	})
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	post := func(body string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest("POST", srv.URL+"/api/1/envelope/?sentry_key=in", strings.NewReader(body))
		req.Header.Set("Origin", "https://shop.example")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
	replay := "{}\n" + `{"type":"replay_event"}` + "\n{}\n" + `{"type":"replay_recording","length":3}` + "\nabc\n"
	for range 2 {
		resp := post(replay)
		if resp.StatusCode != 200 || resp.Header.Get("X-Sentry-Rate-Limits") != "86400:replay:organization:not_stored" {
			t.Fatalf("replay: %d, rate limits %q", resp.StatusCode, resp.Header.Get("X-Sentry-Rate-Limits"))
		}
		if !strings.Contains(resp.Header.Get("Access-Control-Expose-Headers"), "X-Sentry-Rate-Limits") {
			t.Errorf("a browser cannot read the rate limits: %q", resp.Header.Get("Access-Control-Expose-Headers"))
		}
	}
	resp := post("{}\n" + `{"type":"session"}` + "\n{}\n" + `{"type":"my_custom_thing"}` + "\n{}\n" + `{"type":"event"}` + "\n" + `{"message":"x"}` + "\n")
	if resp.StatusCode != 200 || resp.Header.Get("X-Sentry-Rate-Limits") != "" {
		t.Errorf("session + event: %d %q", resp.StatusCode, resp.Header.Get("X-Sentry-Rate-Limits"))
	}
	if len(q.events) != 1 {
		t.Errorf("%d events stored, want the one event", len(q.events))
	}
	m, _ := http.Get(srv.URL + "/metrics")
	b, _ := io.ReadAll(m.Body)
	m.Body.Close()
	for _, want := range []string{
		`lore_ingest_items_unstored_total{protocol="sentry",type="replay_event"} 2`,
		`lore_ingest_items_unstored_total{protocol="sentry",type="replay_recording"} 2`,
		`lore_ingest_items_unstored_total{protocol="sentry",type="session"} 1`,
		`lore_ingest_items_unstored_total{protocol="sentry",type="other"} 1`,
	} {
		if !strings.Contains(string(b), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	if n := strings.Count(logs.String(), "type=replay_event"); n != 1 {
		t.Errorf("replay_event logged %d times, want once:\n%s", n, logs.String())
	}
}
