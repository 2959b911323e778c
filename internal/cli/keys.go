package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

const keysUsage = `lore keys list   --data DIR [--project 1]
lore keys create --data DIR --role ingest|browser|read|member|admin [--expires 90d] [--project 1]
lore keys rotate --data DIR ID [--overlap 24h] [--project 1]
lore keys revoke --data DIR ID [--project 1]

Manages API keys in a data directory's metadata database; the server may be
running. A new key is printed once (only its hash is stored). Ingest keys
only send events, read keys only read, member and admin keys act with those
roles (for scripts). rotate makes a new key and lets the old one work for
the overlap, then expire. A running server stops accepting a revoked key
within 2 seconds (at once when revoked through the API or the UI).`

// runKeys lists, creates and revokes API keys.
func runKeys(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("keys", stdio)
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, keysUsage+"\n\nFlags:")
		fs.PrintDefaults()
	}
	data := fs.String("data", env("LORE_DATA", ""), "data directory (env LORE_DATA)")
	role := fs.String("role", "", "create: ingest, browser, read, member or admin")
	expires := fs.String("expires", "", "create: the key expires after this long (90d, 12h); default never")
	overlap := fs.String("overlap", "24h", "rotate: how long the old key keeps working")
	project := fs.Int64("project", 1, "project id")
	m, rest, err := openMetaCommand(ctx, fs, args, data, "keys: say list, create or revoke, with --data DIR")
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
			exp := ""
			if k.ExpiresAt != "" {
				exp = "  expires " + k.ExpiresAt
			}
			fmt.Fprintf(stdio.Out, "%4d  %-6s  %-12s  created %s%s\n", k.ID, k.Role, k.Hint, k.CreatedAt, exp)
		}
		return nil
	case "create":
		r, err := meta.ParseKeyRole(*role)
		if err != nil {
			return fmt.Errorf("keys create: --role: %w", err)
		}
		ttl, err := parseDays(*expires)
		if err != nil {
			return fmt.Errorf("keys create: --expires: %w", err)
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
		k, _, err := m.CreateKeyExpiring(ctx, *project, r, ttl)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "%s key for project %d (shown once, keep it safe):\n%s\n", r, *project, k)
		return nil
	case "rotate":
		if len(rest) != 2 {
			return errors.New("keys rotate: give the key's id (see lore keys list)")
		}
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return fmt.Errorf("keys rotate: bad id %q", rest[1])
		}
		d, err := parseDays(*overlap)
		if err != nil {
			return fmt.Errorf("keys rotate: --overlap: %w", err)
		}
		k, info, err := m.RotateKey(ctx, *project, id, d)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "new %s key %d for project %d (shown once, keep it safe); key %d works for %s more:\n%s\n", info.Role, info.ID, *project, id, *overlap, k)
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
		fmt.Fprintf(stdio.Out, "revoked key %d; a running server refuses it within 2 seconds\n", id)
		return nil
	}
	return fmt.Errorf("keys: unknown action %q (want list, create, rotate or revoke)", rest[0])
}

// parseDays reads a duration like 90d, 12h or 30m ("" is 0).
func parseDays(v string) (time.Duration, error) {
	if v == "" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(v, "d"); ok {
		d, err := strconv.Atoi(n)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("%q: want a duration like 90d, 12h or 30m", v)
		}
		return time.Duration(d) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration like 90d, 12h or 30m", v)
	}
	return d, nil
}
