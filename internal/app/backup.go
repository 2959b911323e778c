package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/lore-dev/lore/internal/lifecycle"
)

// Backup writes a consistent snapshot of the server's data — the events
// store (every table as of one moment), the metadata and the session
// recordings (SQLite's VACUUM INTO) — as a gzip'd tar to w, while the
// server goes on ingesting and answering. Everything acknowledged before
// the call is in it (the ingest log is flushed first). Restore it with
// lifecycle.Restore (lore restore). With the events in ClickHouse it is a
// 501 (engine.go).
func (a *App) Backup(ctx context.Context, w io.Writer) error {
	if a.store == nil {
		return a.unsupported("a backup")
	}
	if err := a.Flush(ctx); err != nil {
		return fmt.Errorf("backup: flush: %w", err)
	}
	var b [6]byte
	rand.Read(b[:])
	tmp := filepath.Join(a.cfg.DataDir, "backup-"+hex.EncodeToString(b[:]))
	if err := os.MkdirAll(filepath.Join(tmp, "events"), 0o755); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := a.store.SnapshotTo(ctx, filepath.Join(tmp, "events", "events.duckdb")); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if a.cfg.Meta != "" {
		a.log.Warn("backup: the metadata is in PostgreSQL (--meta) and not in this backup: back it up with pg_dump")
	}
	for _, name := range []string{"meta.db", "replay.db"} {
		src := filepath.Join(a.cfg.DataDir, name)
		if _, err := os.Stat(src); err != nil {
			continue
		}
		if err := lifecycle.SnapshotSQLite(ctx, src, filepath.Join(tmp, name)); err != nil {
			return fmt.Errorf("backup: %w", err)
		}
	}
	return lifecycle.WriteArchive(tmp, lifecycle.Manifest{Format: 1, Created: time.Now().UTC()}, w)
}
