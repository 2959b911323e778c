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

// TestErasePerson erases a person with `lore erase` from a running server:
// their events and those of the anonymous id they were identified from
// are gone from searches, another person's stay, and a read key may not
// erase.
func TestErasePerson(t *testing.T) {
	a := startOn(t, t.TempDir())
	base := a.URL()
	lines := `{"type":"track","event":"Signed Up","anonymousId":"anon-1"}
{"level":"info","msg":"alice paid","user_id":"alice"}
{"level":"info","msg":"alice browsed","anonymous_id":"anon-1","user_id":"alice"}
{"level":"info","msg":"bob paid","user_id":"bob"}
`
	if code, _, body, err := post(context.Background(), http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(lines)); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	// Recordings: one with alice's user id, one of her anonymous id only,
	// one of bob's.
	enableRecording(t, base, `{"session_recording":true}`)
	start := time.Now().Add(-10 * time.Minute).Truncate(time.Millisecond)
	for _, r := range []struct{ session, user, anon string }{{"sess-alice", "alice", ""}, {"sess-anon", "", "anon-1"}, {"sess-bob", "bob", ""}} {
		for i, c := range recordRage(start, r.session) {
			var env map[string]any
			json.Unmarshal(c, &env)
			env["user_id"], env["anonymous_id"] = r.user, r.anon
			c, _ = json.Marshal(env)
			if code, _, b := uploadChunk(t, base, ingestKey, "", gz(c)); code != 200 {
				t.Fatalf("chunk %d of %s: %d %s", i, r.session, code, b)
			}
		}
	}
	flush(t, a.App)
	recorded := func() []string {
		var got replaysAnswer
		getJSON(t, base, "/api/v1/replays", url.Values{"session": {"sess-alice,sess-anon,sess-bob"}}, &got)
		var ids []string
		for _, r := range got.Replays {
			ids = append(ids, r.SessionID)
		}
		return ids
	}
	if got := fmt.Sprint(recorded()); got != "[sess-alice sess-anon sess-bob]" {
		t.Fatalf("recordings before erasing: %s", got)
	}
	if n := len(search(t, base, "alice", "now-1h", "now+1h", 10).Events); n != 2 {
		t.Fatalf("%d events of alice before, want 2", n)
	}
	req, _ := http.NewRequest(http.MethodDelete, base+"/api/v1/persons/alice", nil)
	req.Header.Set("Authorization", "Bearer "+readKey)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 403 {
		t.Errorf("a read key erasing: %v %v, want 403", resp.StatusCode, err)
	}
	out, errOut, code := runCLI(t, "erase", "--url", base, "--key", adminKey, "alice")
	if code != 0 || !strings.Contains(out, `"erased_events":3`) || !strings.Contains(out, `"erased_recordings":2`) {
		t.Fatalf("lore erase: %d %s %s", code, out, errOut)
	}
	if n := len(search(t, base, "alice", "now-1h", "now+1h", 10).Events); n != 0 {
		t.Errorf("%d events of alice after erasing", n)
	}
	if n := len(search(t, base, `"anon-1"`, "now-1h", "now+1h", 10).Events); n != 0 {
		t.Errorf("%d events of alice's anonymous id after erasing", n)
	}
	if n := len(search(t, base, "bob", "now-1h", "now+1h", 10).Events); n != 1 {
		t.Errorf("%d events of bob after erasing alice, want 1", n)
	}
	if got := fmt.Sprint(recorded()); got != "[sess-bob]" {
		t.Errorf("recordings after erasing alice: %s, want bob's alone", got)
	}
}
