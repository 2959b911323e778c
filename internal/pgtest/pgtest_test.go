package pgtest

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
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
