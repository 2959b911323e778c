package replay

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/replay/synth"
)

// latin1Gzip compresses v's JSON as posthog-js does: gzip, each byte a
// U+00XX character.
func latin1Gzip(t *testing.T, v any) string {
	t.Helper()
	b, _ := json.Marshal(v)
	var sb strings.Builder
	for _, c := range gzipBytes(b) {
		sb.WriteRune(rune(c))
	}
	return sb.String()
}

// posthogSnapshot is a $snapshot message with rrweb events, the full
// snapshot and the mutations compressed ("cv": "2024-10").
func posthogSnapshot(t *testing.T, session, window, distinct string, identified bool, r *synth.Recorder) map[string]any {
	t.Helper()
	var evs []any
	for _, raw := range r.Events() {
		var e map[string]any
		json.Unmarshal(raw, &e)
		data, _ := e["data"].(map[string]any)
		switch {
		case e["type"] == float64(2):
			e["data"], e["cv"] = latin1Gzip(t, data), "2024-10"
		case e["type"] == float64(3) && data["source"] == float64(0):
			data["adds"] = latin1Gzip(t, data["adds"])
			e["cv"] = "2024-10"
		}
		evs = append(evs, e)
	}
	b, _ := json.Marshal(map[string]any{"event": "$snapshot", "properties": map[string]any{
		"$snapshot_data": evs, "$session_id": session, "$window_id": window, "distinct_id": distinct,
		"$is_identified": identified, "$snapshot_bytes": 1234}})
	var m map[string]any
	json.Unmarshal(b, &m)
	return m
}

func TestPostHogRecordings(t *testing.T) {
	f := newFixture(t, Limits{})
	ctx := context.Background()
	r := synth.New(t0, 1280, 800)
	r.Load("https://app.example/settings", "Settings", "", checkoutPage())
	r.Click("pay")
	r.Append("status", synth.El("p", nil, synth.T("Saved")))
	w1 := posthogSnapshot(t, "ph-session", "window-1", "user-1", true, r)
	r2 := synth.New(t0.Add(time.Minute), 1280, 800)
	r2.Load("https://app.example/other", "Other", "", checkoutPage())
	w2 := posthogSnapshot(t, "ph-session", "window-2", "user-1", true, r2)
	n, err := f.svc.AddRecordings(ctx, 1, 0, []map[string]any{w1, w2, {"event": "$pageview"}})
	if err != nil || n != 8 {
		t.Fatalf("stored %d events: %v", n, err)
	}
	got, _ := f.svc.Sessions(ctx, 1, []string{"ph-session"})
	if len(got) != 1 || got[0].Pages != 2 || got[0].UserID != "user-1" || got[0].Clicks != 1 {
		t.Fatalf("session = %+v", got)
	}
	// Played back as plain rrweb: the full snapshot is an object again.
	var out bytes.Buffer
	if err := f.svc.WriteEvents(ctx, 1, "ph-session", &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), `"cv"`) || !strings.Contains(out.String(), `"tagName":"button"`) || !strings.Contains(out.String(), `"adds":[{"nextId":null`) {
		t.Fatalf("playback still compressed: %.300s", out.String())
	}
	// The same upload again (posthog-js retries): stored once.
	if _, err := f.svc.AddRecordings(ctx, 1, 0, []map[string]any{w1}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.svc.Sessions(ctx, 1, []string{"ph-session"}); got[0].Chunks != 2 {
		t.Fatalf("chunks after a retry = %d", got[0].Chunks)
	}
	// Off for the project: nothing stored, no error (posthog-js was told not to record).
	if n, err := f.svc.AddRecordings(ctx, 2, 0, []map[string]any{w1}); n != 0 || err != nil {
		t.Fatalf("project without recording: %d, %v", n, err)
	}
	// Anonymous visitors are anonymous.
	anon := posthogSnapshot(t, "ph-anon", "w", "device-9", false, r2)
	f.svc.AddRecordings(ctx, 1, 0, []map[string]any{anon})
	if got, _ := f.svc.Sessions(ctx, 1, []string{"ph-anon"}); got[0].AnonymousID != "device-9" || got[0].UserID != "" {
		t.Fatalf("anonymous session = %+v", got[0])
	}
}

func TestPostHogRecordingsRefused(t *testing.T) {
	f := newFixture(t, Limits{})
	for _, body := range []string{
		`{"event":"$snapshot","properties":{"$snapshot_data":[]}}`,
		`{"event":"$snapshot","properties":{"$session_id":"s","$snapshot_data":"x"}}`,
		`{"event":"$snapshot","properties":{"$session_id":"s","$snapshot_data":[{"type":2,"cv":"2024-10","data":"not gzip","timestamp":1772443800000}]}}`,
		`{"event":"$snapshot","properties":{"$session_id":"s","$snapshot_data":[{"type":2,"cv":"2024-10","data":"ĀĀ","timestamp":1772443800000}]}}`,
		`{"event":"$snapshot","properties":{"$session_id":"s","$snapshot_data":[{"type":2}]}}`,
	} {
		var m map[string]any
		json.Unmarshal([]byte(body), &m)
		if _, err := f.svc.AddRecordings(context.Background(), 1, 0, []map[string]any{m}); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", body, err)
		}
	}
}
