package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestServerStartsServesAndStops: a database of the test's own answers
// queries, and after Stop nothing listens on the port and the directory is
// gone.
func TestServerStartsServesAndStops(t *testing.T) {
	s := Launch(t)
	stopped := false
	defer func() {
		if !stopped {
			s.Stop()
		}
	}()
	url := s.NewDatabase(t)
	db, err := sql.Open("pgx", url)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var got string
	if err := db.QueryRowContext(ctx, `SELECT current_database()`).Scan(&got); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if got == "postgres" || got == "" {
		t.Fatalf("current database %q: want the test's own", got)
	}
	s.Stop()
	stopped = true
	if c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port()), time.Second); err == nil {
		c.Close()
		t.Fatalf("port %d still open after Stop", s.Port())
	}
	if _, err := os.Stat(s.dir); !os.IsNotExist(err) {
		t.Fatalf("directory %s left behind: %v", s.dir, err)
	}
}

// TestRemoveStale: a directory left by a killed test process (old, its
// postmaster gone) is removed; a recent one, or one whose postmaster runs,
// is kept.
func TestRemoveStale(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	mk := func(name string, age time.Duration, pid int) string {
		d := filepath.Join(tmp, dirPrefix+name)
		if err := os.MkdirAll(filepath.Join(d, "data"), 0o755); err != nil {
			t.Fatal(err)
		}
		if pid != 0 {
			if err := os.WriteFile(filepath.Join(d, "data", "postmaster.pid"), fmt.Appendf(nil, "%d\n/x\n", pid), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		at := time.Now().Add(-age)
		if err := os.Chtimes(d, at, at); err != nil {
			t.Fatal(err)
		}
		return d
	}
	dead := mk("dead", time.Hour, 0)
	recent := mk("recent", time.Minute, 0)
	running := mk("running", time.Hour, os.Getpid())
	removeStale()
	for d, keep := range map[string]bool{dead: false, recent: true, running: true} {
		if _, err := os.Stat(d); (err == nil) != keep {
			t.Errorf("%s: kept %v, want %v", filepath.Base(d), err == nil, keep)
		}
	}
}
