package meta

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/lore-dev/lore/internal/pgtest"
)

// The PostgreSQL server the package's tests share (a database each),
// started by the first test that needs it and stopped by TestMain.
var (
	pgOnce sync.Once
	pg     *pgtest.Server
)

func TestMain(m *testing.M) {
	code := m.Run()
	if pg != nil {
		pg.Stop()
	}
	os.Exit(code)
}

// engines runs f once per engine, as the subtests sqlite and postgres,
// with where naming a new empty database of that engine (a file path, a
// postgres:// URL) that f may open, close and open again. LORE_META_ENGINE
// set to sqlite or postgres runs only that one.
func engines(t *testing.T, f func(t *testing.T, where string)) {
	only := os.Getenv("LORE_META_ENGINE")
	if only == "" || only == "sqlite" {
		t.Run("sqlite", func(t *testing.T) { f(t, filepath.Join(t.TempDir(), "meta.db")) })
	}
	if only == "" || only == "postgres" {
		t.Run("postgres", func(t *testing.T) { f(t, sharedPG(t).NewDatabase(t)) })
	}
}

func sharedPG(t *testing.T) *pgtest.Server {
	t.Helper()
	pgOnce.Do(func() { pg = pgtest.Launch(t) })
	if pg == nil {
		t.Skip("no PostgreSQL server (see the first postgres subtest)")
	}
	return pg
}

// setVersion sets the schema version, as an older Lore left it.
func setVersion(t *testing.T, s *Store, v int) {
	t.Helper()
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if err := s.db.e.setVersion(ctx, tx, v); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
