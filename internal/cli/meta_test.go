package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/pgtest"
)

// TestKeysWithMetaPostgres: lore keys and lore projects act on the
// PostgreSQL metadata named by --meta, without a data directory.
func TestKeysWithMetaPostgres(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.Start(t).NewDatabase(t)
	m, err := meta.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.EnsureDefaultProject(ctx, "", "")
	m.Close()
	if err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		var out, errOut bytes.Buffer
		if code := Main(ctx, args, Stdio{In: strings.NewReader(""), Out: &out, Err: &errOut}); code != 0 {
			t.Fatalf("lore %s: exit %d: %s", strings.Join(args, " "), code, errOut.String())
		}
		return out.String()
	}
	if out := run("keys", "list", "--meta", dbURL); !strings.Contains(out, "ingest") || !strings.Contains(out, b.ReadKey[:8]) {
		t.Errorf("lore keys list --meta: want project 1's ingest and read keys in\n%s", out)
	}
	run("projects", "create", "--meta", dbURL, "shop")
	if out := run("projects", "list", "--meta", dbURL); !strings.Contains(out, "shop") {
		t.Errorf("lore projects list --meta after create:\n%s", out)
	}
}

// TestServeMetaFlag: lore serve --meta (or LORE_META) names the metadata
// database; without it the app keeps DATA/meta.db.
func TestServeMetaFlag(t *testing.T) {
	f := func(env string, args []string, want string) {
		t.Helper()
		t.Setenv("LORE_META", env)
		var sf serveFlags
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		sf.register(fs, t.TempDir())
		if err := fs.Parse(args); err != nil {
			t.Fatal(err)
		}
		cfg, err := sf.config(Stdio{Out: io.Discard, Err: io.Discard})
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Meta != want {
			t.Errorf("env %q, args %q: Meta %q, want %q", env, args, cfg.Meta, want)
		}
	}
	f("", nil, "")
	f("", []string{"--meta", "postgres://lore@db:5432/lore"}, "postgres://lore@db:5432/lore")
	f("postgres://env@db/lore", nil, "postgres://env@db/lore")
	f("postgres://env@db/lore", []string{"--meta=postgres://flag@db/lore"}, "postgres://flag@db/lore")
}
