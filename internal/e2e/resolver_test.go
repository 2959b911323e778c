package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRememberedAnswersForgetErasedPersons: the read routes' resolver
// remembers a product answer over a past range for minutes, but erasing
// a person drops what it remembered, so the next answer no longer counts
// them.
func TestRememberedAnswersForgetErasedPersons(t *testing.T) {
	a := startOn(t, t.TempDir())
	base := a.URL()
	ts := time.Now().Add(-10 * time.Minute).Unix()
	var lines strings.Builder
	for _, u := range []string{"alice", "bob"} {
		fmt.Fprintf(&lines, `{"kind":"event","name":"Signed Up","user_id":%q,"ts":%d}`+"\n", u, ts)
	}
	if code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(lines.String())); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a.App)
	// Absolute bounds ("now-5m" moves with the minute).
	from, to := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), time.Now().Add(-5*time.Minute).UTC().Format(time.RFC3339)
	persons := func() float64 { t.Helper(); return signedUp(t, base, from, to, "1h") }
	if n := persons(); n != 2 {
		t.Fatalf("persons who signed up = %v before erasing, want 2", n)
	}
	if n := persons(); n != 2 {
		t.Fatalf("persons who signed up = %v asked again, want 2", n)
	}
	if out, errOut, code := runCLI(t, "erase", "--url", base, "--key", adminKey, "alice"); code != 0 {
		t.Fatalf("lore erase: %d %s %s", code, out, errOut)
	}
	if n := persons(); n != 1 {
		t.Errorf("persons who signed up = %v after erasing alice, want 1 (a remembered answer still counted her)", n)
	}
}

// TestRememberedAnswersForgetRetainedDays: retention deleting whole days
// drops the resolver's remembered answers, so an answer over those days
// does not go on counting them.
func TestRememberedAnswersForgetRetainedDays(t *testing.T) {
	a := startOn(t, t.TempDir())
	base := a.URL()
	now := time.Now()
	var lines strings.Builder
	for u, ts := range map[string]time.Time{"old": now.AddDate(0, 0, -10), "new": now.Add(-time.Hour)} {
		fmt.Fprintf(&lines, `{"kind":"event","name":"Signed Up","user_id":%q,"ts":%d}`+"\n", u, ts.Unix())
	}
	if code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(lines.String())); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a.App)
	if code, body := putLifecycle(t, base, "retention", `{"events_days": 7}`); code != 200 {
		t.Fatalf("PUT retention: %d %s", code, body)
	}
	from, to := now.AddDate(0, 0, -12).UTC().Format(time.RFC3339), now.Add(-5*time.Minute).UTC().Format(time.RFC3339)
	persons := func() float64 { t.Helper(); return signedUp(t, base, from, to, "1d") }
	if n := persons(); n != 2 {
		t.Fatalf("persons who signed up = %v before retention, want 2", n)
	}
	deleted, err := a.RunRetention(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n := deleted[1]["event"]; n != 1 {
		t.Fatalf("retention deleted %d product events, want 1: %v", n, deleted)
	}
	if n := persons(); n != 1 {
		t.Errorf("persons who signed up = %v after retention deleted the 10-day-old one, want 1 (a remembered answer still counted it)", n)
	}
}

// signedUp is the trends route's count of persons who signed up in
// [from, to), summed over its intervals.
func signedUp(t *testing.T, base, from, to, interval string) float64 {
	t.Helper()
	var res struct {
		Series []struct {
			Total float64 `json:"total"`
		} `json:"series"`
	}
	postQuery(t, base, "/api/v1/trends", map[string]any{"event": "Signed Up", "measure": "persons", "from": from, "to": to, "interval": interval}, &res)
	total := 0.0
	for _, s := range res.Series {
		total += s.Total
	}
	return total
}
