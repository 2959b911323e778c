package cli

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/lore-dev/lore/internal/meta"
)

const keysUsage = `lore keys list   --data DIR [--project 1]
lore keys create --data DIR --role read|ingest [--project 1]
lore keys revoke --data DIR ID [--project 1]

Manages API keys in a data directory's metadata database; the server may be
running. A new key is printed once (only its hash is stored). To rotate a
key, create a new one, move clients to it, then revoke the old one: a
running server stops accepting a revoked key when it restarts (it keeps
keys it has already seen in memory).`

// runKeys lists, creates and revokes API keys.
func runKeys(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("keys", stdio)
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, keysUsage+"\n\nFlags:")
		fs.PrintDefaults()
	}
	data := fs.String("data", env("LORE_DATA", ""), "data directory (env LORE_DATA)")
	role := fs.String("role", "", "create: read or ingest")
	project := fs.Int64("project", 1, "project id")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) == 0 || *data == "" {
		fs.Usage()
		return errors.New("keys: say list, create or revoke, with --data DIR")
	}
	m, err := meta.Open(ctx, filepath.Join(*data, "meta.db"))
	if err != nil {
		return err
	}
	defer m.Close()
	switch rest[0] {
	case "list":
		keys, err := m.Keys(ctx, *project)
		if err != nil {
			return err
		}
		for _, k := range keys {
			fmt.Fprintf(stdio.Out, "%4d  %-6s  %-12s  created %s\n", k.ID, k.Role, k.Hint, k.CreatedAt)
		}
		return nil
	case "create":
		r := meta.Role(*role)
		if r != meta.RoleRead && r != meta.RoleIngest {
			return fmt.Errorf("keys create: --role must be read or ingest, got %q", *role)
		}
		if *project == 1 {
			// A fresh data directory: make the default project (and its
			// first keys, shown once) as lore serve would.
			b, err := m.EnsureDefaultProject(ctx, "", "")
			if err != nil {
				return err
			}
			printKeys(stdio.Out, b)
		}
		k, err := m.CreateKey(ctx, *project, r)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "%s key for project %d (shown once, keep it safe):\n%s\n", r, *project, k)
		return nil
	case "revoke":
		if len(rest) != 2 {
			return errors.New("keys revoke: give the key's id (see lore keys list)")
		}
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return fmt.Errorf("keys revoke: bad id %q", rest[1])
		}
		if err := m.RevokeKey(ctx, *project, id); err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "revoked key %d; restart a running server for it to take effect\n", id)
		return nil
	}
	return fmt.Errorf("keys: unknown action %q (want list, create or revoke)", rest[0])
}
