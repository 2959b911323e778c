package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestStoriesForgetErasedPersons: a story card tells an erased person's
// errors (their message, their trace as evidence) before the erasure and
// never after it — neither from the story cache's remembered answer for
// the same range nor from the rollups a fresh answer reads.
func TestStoriesForgetErasedPersons(t *testing.T) {
	a := startOn(t, t.TempDir())
	base := a.URL()
	now := time.Now().UTC().Truncate(time.Minute)
	const aliceTrace, bobTrace = "a11ce000000000000000000000000001", "b0b00000000000000000000000000001"
	var lines strings.Builder
	for i := range 3 {
		ts := now.Add(-40*time.Minute + time.Duration(i)*time.Second)
		fmt.Fprintf(&lines, `{"ts":%q,"level":"error","service":"checkout","error_type":"CardDeclined","message":"card declined for alice@example.com","user_id":"alice","trace_id":%q}`+"\n",
			ts.Format(time.RFC3339Nano), aliceTrace)
		fmt.Fprintf(&lines, `{"ts":%q,"level":"error","service":"search","error_type":"Timeout","message":"index timed out","user_id":"bob","trace_id":%q}`+"\n",
			ts.Add(time.Minute).Format(time.RFC3339Nano), bobTrace)
	}
	if code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(lines.String())); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a.App)
	stories := func(from, to time.Time) string {
		t.Helper()
		var res json.RawMessage
		getJSON(t, base, "/api/v1/stories", url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}, &res)
		return string(res)
	}
	from, to := now.Add(-time.Hour), now.Add(-10*time.Minute)
	before := stories(from, to)
	if !strings.Contains(before, aliceTrace) || !strings.Contains(before, "alice@example.com") || !strings.Contains(before, bobTrace) {
		t.Fatalf("before erasing alice, the stories do not tell both errors:\n%s", before)
	}
	if out, errOut, code := runCLI(t, "erase", "--url", base, "--key", adminKey, "alice"); code != 0 {
		t.Fatalf("lore erase: %d %s %s", code, out, errOut)
	}
	// The same range, asked again within the minute (the story cache's).
	after := stories(from, to)
	// A range never asked before: computed afresh, from the rollups.
	other := stories(from.Add(-time.Minute), to)
	for name, got := range map[string]string{"the same range": after, "another range": other} {
		if strings.Contains(got, aliceTrace) || strings.Contains(got, "alice") {
			t.Errorf("after erasing alice, the stories of %s still tell her errors:\n%s", name, got)
		}
		if !strings.Contains(got, bobTrace) {
			t.Errorf("after erasing alice, the stories of %s lost bob's error:\n%s", name, got)
		}
	}
}

// TestStoriesForgetRetainedDays: retention deleting whole days drops the
// story cache's answers over them, so a story of the deleted errors is
// not told again from memory.
func TestStoriesForgetRetainedDays(t *testing.T) {
	a := startOn(t, t.TempDir())
	base := a.URL()
	now := time.Now().UTC().Truncate(time.Minute)
	var lines strings.Builder
	for i := range 3 {
		fmt.Fprintf(&lines, `{"ts":%q,"level":"error","service":"checkout","error_type":"CardDeclined","message":"card declined long ago"}`+"\n",
			now.AddDate(0, 0, -10).Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano))
		fmt.Fprintf(&lines, `{"ts":%q,"level":"error","service":"search","error_type":"Timeout","message":"index timed out lately"}`+"\n",
			now.Add(-time.Hour).Add(time.Duration(i)*time.Second).Format(time.RFC3339Nano))
	}
	if code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(lines.String())); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a.App)
	if code, body := putLifecycle(t, base, "retention", `{"logs_days": 7, "errors_days": 7}`); code != 200 {
		t.Fatalf("PUT retention: %d %s", code, body)
	}
	q := url.Values{"from": {now.AddDate(0, 0, -12).Format(time.RFC3339)}, "to": {now.Add(-10 * time.Minute).Format(time.RFC3339)}}
	stories := func() string {
		t.Helper()
		var res json.RawMessage
		getJSON(t, base, "/api/v1/stories", q, &res)
		return string(res)
	}
	if got := stories(); !strings.Contains(got, "card declined long ago") || !strings.Contains(got, "index timed out lately") {
		t.Fatalf("before retention, the stories do not tell both errors:\n%s", got)
	}
	if _, err := a.RunRetention(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := stories()
	if strings.Contains(got, "card declined long ago") {
		t.Errorf("after retention deleted its day, the stories still tell the old error:\n%s", got)
	}
	if !strings.Contains(got, "index timed out lately") {
		t.Errorf("after retention, the stories lost the recent error:\n%s", got)
	}
}
