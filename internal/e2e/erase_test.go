package e2e

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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

// filesHolding lists the files under dir whose bytes hold s.
func filesHolding(t *testing.T, dir, s string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(data, []byte(s)) {
			rel, _ := filepath.Rel(dir, path)
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestErasureLeavesNoCopyOnDisk erases a person from a running server
// and then looks for their id in the bytes of every file of the data
// directory: the ingest log's segment that held their events is gone at
// once, and after a restart (which compacts the events file) no file
// holds the id. Another person's events stay, searchable.
func TestErasureLeavesNoCopyOnDisk(t *testing.T) {
	dir := t.TempDir()
	a := startOn(t, dir)
	const erased, kept = "erased-person-7c2e", "kept-person-91b4"
	var lines strings.Builder
	for i := range 20 {
		fmt.Fprintf(&lines, `{"level":"info","msg":"paid order %d","user_id":%q}`+"\n", i, erased)
		fmt.Fprintf(&lines, `{"level":"info","msg":"browsed page %d","user_id":%q}`+"\n", i, kept)
	}
	if code, _, body, err := post(context.Background(), http.DefaultClient, a.URL(), "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(lines.String())); err != nil || code != 200 {
		t.Fatalf("ingest: %d %s %v", code, body, err)
	}
	flush(t, a.App)
	if got := filesHolding(t, filepath.Join(dir, "wal"), erased); len(got) == 0 {
		t.Fatal("the ingest log does not hold the person's id before erasing: the test would prove nothing")
	}
	if out, errOut, code := runCLI(t, "erase", "--url", a.URL(), "--key", adminKey, erased); code != 0 || !strings.Contains(out, `"erased_events":20`) {
		t.Fatalf("lore erase: %d %s %s", code, out, errOut)
	}
	if got := filesHolding(t, filepath.Join(dir, "wal"), erased); len(got) != 0 {
		t.Errorf("after erasing, the ingest log's files %v still hold the id", got)
	}
	a.stop()
	a = startOn(t, dir)
	if n := len(search(t, a.URL(), "user_id:"+kept, "now-1h", "now+1h", 100).Events); n != 20 {
		t.Errorf("%d events of the other person after erasing and a restart, want 20", n)
	}
	if n := len(search(t, a.URL(), "user_id:"+erased, "now-1h", "now+1h", 100).Events); n != 0 {
		t.Errorf("%d events of the erased person after a restart", n)
	}
	a.stop()
	// The audit log keeps the erasure's target by design (meta.db): the
	// one exception, checked by deleting those rows from a copy.
	got := filesHolding(t, dir, erased)
	if len(got) != 1 || got[0] != "meta.db" {
		t.Errorf("after erasing and a restart, files of the data directory hold the id: %v, want meta.db's audit log alone", got)
	}
	meta, err := os.ReadFile(filepath.Join(dir, "meta.db"))
	if err != nil {
		t.Fatal(err)
	}
	cp := filepath.Join(t.TempDir(), "meta.db")
	if err := os.WriteFile(cp, meta, 0o600); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", cp)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var audited int
	if err := db.QueryRow(`SELECT count(*) FROM audit WHERE instr(target, ?) > 0`, erased).Scan(&audited); err != nil || audited == 0 {
		t.Errorf("the audit log names the erasure %d times (%v), want once", audited, err)
	}
	if _, err := db.Exec(`DELETE FROM audit WHERE instr(target, ?) > 0; VACUUM`, erased); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got := filesHolding(t, filepath.Dir(cp), erased); len(got) != 0 {
		t.Errorf("meta.db holds the id beside the audit log: %v", got)
	}
}
