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

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/store"
)

// Backup writes a consistent snapshot of the server's data — the events
// store (every table as of one moment), the metadata and the session
// recordings (SQLite's VACUUM INTO) — as a gzip'd tar to w, while the
// server goes on ingesting and answering. Everything acknowledged before
// the call is in it (the ingest log is flushed first). Restore it with
// lifecycle.Restore (lore restore). With the events in ClickHouse it is a
// 501 that says how to back them up instead: this node's files hold none
// of them, and a backup without the events would restore a server
// without its data.
func (a *App) Backup(ctx context.Context, w io.Writer) error {
	if a.store == nil {
		return errs.Wrap(errs.Unsupported, store.ErrUnsupported, "POST /api/v1/backup copies the events of the embedded DuckDB store only: "+
			"this server's events are in ClickHouse, and a backup without them would restore a Lore without its data. Back them up with ClickHouse's own tools "+
			"(ALTER TABLE events FREEZE on 18.16, BACKUP DATABASE on current releases), the metadata with pg_dump (--meta) or "+
			"sqlite3 .backup of meta.db, and the session recordings with sqlite3 .backup of replay.db: docs/data-lifecycle.md")
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
