package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
)

// TestBackupUnderIngestAndRestore takes a backup with `lore backup` from a
// server that is being written to all along, restores it with `lore
// restore` into a new data directory and starts a server there: every
// event acknowledged before the backup began is in it, none acknowledged
// after it ended, the count matches what the store recorded in the same
// snapshot, the keys and the admin's sign-in work, and the privacy
// settings came back.
func TestBackupUnderIngestAndRestore(t *testing.T) {
	const email, password = "root@example.com", "root-password-1"
	admin := func(c *app.Config) { c.AdminEmail, c.AdminPassword = email, password }
	a := startOn(t, t.TempDir(), admin)
	base := a.URL()
	if code, body := putLifecycle(t, base, "privacy", `{"emails": true}`); code != 200 {
		t.Fatalf("PUT privacy: %d %s", code, body)
	}

	// Ingest without pause: 200 lines a request, each line numbered.
	var acked atomic.Int64
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			var b strings.Builder
			for j := range 200 {
				fmt.Fprintf(&b, `{"level":"info","service":"shop","msg":"line %d"}`+"\n", i*200+j)
			}
			code, _, _, err := post(ctx, http.DefaultClient, base, "/api/v1/ingest", ingestKey, "application/x-ndjson", []byte(b.String()))
			if err != nil || code != 200 {
				if ctx.Err() == nil {
					t.Errorf("ingest: %d %v", code, err)
				}
				return
			}
			acked.Add(200)
		}
	})
	for acked.Load() < 10000 {
		time.Sleep(20 * time.Millisecond)
	}
	before := acked.Load()
	file := filepath.Join(t.TempDir(), "lore.tar.gz")
	out, errOut, code := runCLI(t, "backup", "--url", base, "--email", email, "--password", password, "--out", file)
	after := acked.Load()
	if code != 0 {
		t.Fatalf("lore backup: %d %s %s", code, out, errOut)
	}
	time.Sleep(200 * time.Millisecond) // more ingest after the backup
	stop()
	wg.Wait()
	t.Logf("%d lines acknowledged before the backup, %d when it ended, %d in all; %s", before, after, acked.Load(), strings.TrimSpace(out))

	// A project admin (not a server admin) may not take one.
	if code, body := adminPost(t, base, "/api/v1/backup"); code != 403 {
		t.Errorf("backup with a project admin key: %d %s, want 403", code, body)
	}

	dir := t.TempDir()
	if out, errOut, code := runCLI(t, "restore", "--data", dir, file); code != 0 {
		t.Fatalf("lore restore: %d %s %s", code, out, errOut)
	}
	if _, errOut, code := runCLI(t, "restore", "--data", dir, file); code == 0 || !strings.Contains(errOut, "already holds") {
		t.Errorf("restoring over data: exit %d %s, want a refusal", code, errOut)
	}
	r := startOn(t, dir, admin)
	var f facets
	getJSON(t, r.URL(), "/api/v1/facets", url.Values{"q": {"service:shop"}, "field": {"kind"}, "from": {"now-1h"}, "to": {"now+1h"}}, &f)
	if f.Total < before || f.Total > after {
		t.Errorf("restored %d events; want between %d (acknowledged before the backup) and %d (when it ended)", f.Total, before, after)
	}
	var p struct {
		PIIRules []string `json:"pii_rules"`
	}
	getJSON(t, r.URL(), "/api/v1/project", nil, &p)
	if !strings.Contains(strings.Join(p.PIIRules, ";"), "e-mail") {
		t.Errorf("restored privacy rules %q: want e-mails scrubbed", p.PIIRules)
	}
	signIn(t, r.URL(), "root", email, password, "admin", 1)
}

// adminPost posts with the project admin key.
func adminPost(t *testing.T, base, path string) (int, string) {
	t.Helper()
	code, _, body, err := post(context.Background(), http.DefaultClient, base, path, adminKey, "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	return code, string(body)
}
