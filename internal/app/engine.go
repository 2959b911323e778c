package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/fields"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/clickhouse"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// The events store is chosen by Config.StoreURL: empty is the embedded
// DuckDB store in DataDir/events (the default), clickhouse://HOST:8123/DB a
// ClickHouse database (internal/store/clickhouse). The app holds it as a
// store.Engine (a.engine), which every analysis reads through; a.store is
// the DuckDB store when that is the engine, nil otherwise, for what only
// it can do: backups of the events and the disk watermark (on ClickHouse
// a backup answers store.ErrUnsupported, a 501 saying how to back
// ClickHouse up, and a warning at start says so). Retention and erasing a
// person run on both (lifecycle.go). The field catalogue is written
// through the engine's store.FieldRecorder, which both stores have
// (fields.go).

// openEvents opens the events store cfg.StoreURL names.
func (a *App) openEvents(ctx context.Context) error {
	log := a.cfg.Log.With("component", "store")
	if a.cfg.StoreURL == "" {
		s, err := duckdb.Open(ctx, filepath.Join(a.cfg.DataDir, "events"), a.cfg.Store, log)
		if err != nil {
			return err
		}
		a.store, a.engine = s, s
		return nil
	}
	u, err := url.Parse(a.cfg.StoreURL)
	if err != nil || u.Scheme != "clickhouse" {
		scheme := ""
		if u != nil {
			scheme = u.Scheme
		}
		return fmt.Errorf("--store: scheme %q: want clickhouse://HOST:8123/DB, or none for the embedded DuckDB store", scheme)
	}
	storeURL, writer := storeWriter(u, a.cfg.NodeID)
	if err := keepWriter(a.cfg.DataDir, writer); err != nil {
		return err
	}
	if a.meta.Shared() {
		// Before the store's recovery deletes the writer's unrecorded
		// rows: no other live process may be that writer (writer_lease.go).
		if a.writerLease, err = takeWriterLease(ctx, a.meta, writer, a.nodeID(), cmp.Or(a.cfg.LeaseTTL, defaultLeaseTTL), a.log.With("component", "writer-lease")); err != nil {
			return err
		}
	}
	s, err := clickhouse.Open(ctx, storeURL, log)
	if err != nil {
		return err
	}
	a.engine = s
	if a.cfg.NodeID == "" && a.cfg.Meta != "" {
		a.log.Warn("no --node-id: this node writes to ClickHouse as the default writer, which no other node can while it runs (docs/scaling.md, \"Several writers\"); give each node sharing the database a --node-id of its own, kept with its --data")
	}
	a.log.Warn("the events store is ClickHouse: POST /api/v1/backup answers 501 (back the database up with ClickHouse's own tools: docs/data-lifecycle.md), and the disk watermark does not run (watch the ClickHouse server's disks)",
		"database", u.Host+u.Path)
	return nil
}

// storeWriter is the ClickHouse URL u naming the node (--node-id) as the
// database's writer (internal/store/clickhouse, writers.go), unless u
// names one itself or the node has no id of its own (the default writer
// of one node), and the writer's name.
func storeWriter(u *url.URL, node string) (string, string) {
	q := u.Query()
	if q.Has("writer") {
		return u.String(), q.Get("writer")
	}
	if node == "" {
		return u.String(), ""
	}
	q.Set("writer", node)
	w := *u
	w.RawQuery = q.Encode()
	return w.String(), node
}

// writerFile, in the data directory, holds the writer name (the node id)
// under which the node's write-ahead log was loaded into ClickHouse (""
// for the default writer).
const writerFile = "clickhouse-writer"

// keepWriter refuses a node id other than the one the data directory's
// log was loaded into ClickHouse under, recording it the first time:
// the store knows a node's batches by its id (its writer), so under
// another id the node would find nothing of its own recorded and load
// its log's events a second time.
func keepWriter(dataDir, node string) error {
	path := filepath.Join(dataDir, writerFile)
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if was := string(b); was != node {
			return fmt.Errorf("node id %q: the data directory %s was loaded into ClickHouse as node %q (%s): a node keeps its id with its data directory, or its events would be loaded twice; start it with --node-id %q (docs/scaling.md, \"Several writers\")",
				node, dataDir, was, path, was)
		}
		return nil
	case errors.Is(err, fs.ErrNotExist):
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, []byte(node), 0o600); err != nil {
			return fmt.Errorf("record the node id in %s: %w", path, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("record the node id in %s: %w", path, err)
		}
		return nil
	default:
		return fmt.Errorf("read the node id of %s: %w", path, err)
	}
}

// readStore is the events store with the reads of events (store.Reader):
// what the features read.
type readStore interface {
	store.Engine
	store.Reader
}

// engineEvents is another engine (the ClickHouse store) with the reads
// of events answered by the query objects of internal/analysis/events on
// it, which find its accelerators (the ClickHouse store's id ranges,
// store.IDRangeReader) by type assertion on the engine itself.
type engineEvents struct {
	store.Engine
	events.Reader
}

// reader is the events store as the features read it: the DuckDB store
// as eventStore (so its accelerators are still found by type assertion),
// any other engine as engineEvents.
func (a *App) reader() readStore {
	if a.store != nil {
		return eventStore{a.store}
	}
	return engineEvents{a.engine, events.Reader{Ex: a.engine}}
}

// unsupported is the 501 of a feature the events store cannot serve yet.
func (a *App) unsupported(what string) error {
	return errs.Wrap(errs.Unsupported, store.ErrUnsupported, "%s needs the embedded DuckDB events store: not available on %s yet (docs/scaling.md)", what, a.engine.Dialect().Name())
}

// noFields answers the data dictionary on a store without the field
// catalogue's write path (store.FieldRecorder).
type noFields struct{ a *App }

func (n noFields) Dictionary(context.Context, fields.Request) (fields.Dictionary, error) {
	return fields.Dictionary{}, n.a.unsupported("the data dictionary")
}

var (
	_ readStore            = eventStore{}
	_ readStore            = engineEvents{}
	_ server.FieldsService = noFields{}
)
