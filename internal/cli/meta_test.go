package cli

import (
	"bytes"
	"context"
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
