package duckdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
)

// SnapshotTo writes a consistent copy of the store — every table as of one
// moment — into a new database file at path, while appends and reads go
// on (COPY FROM DATABASE reads one transaction's snapshot). The copy is
// compact: deleted rows' space is not copied.
func (s *Store) SnapshotTo(ctx context.Context, path string) error {
	var b [6]byte
	rand.Read(b[:])
	alias := "snap_" + hex.EncodeToString(b[:])
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("snapshot the store to %q: %w", path, err)
	}
	defer conn.Close()
	quoted := "'" + strings.ReplaceAll(path, "'", "''") + "'"
	if _, err := conn.ExecContext(ctx, `ATTACH `+quoted+` AS `+alias); err != nil {
		return fmt.Errorf("snapshot the store to %q: %w", path, err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `DETACH `+alias)
	for _, q := range []string{`COPY FROM DATABASE lore TO ` + alias, `CHECKPOINT ` + alias} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("snapshot the store to %q: %s: %w", path, q, err)
		}
	}
	if _, err := conn.ExecContext(ctx, `DETACH `+alias); err != nil {
		return fmt.Errorf("snapshot the store to %q: detach: %w", path, err)
	}
	return nil
}
