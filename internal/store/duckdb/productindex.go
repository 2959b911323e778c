package duckdb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/productindex"
)

// The product index (internal/store/productindex) answers funnels,
// retention and paths without SQL. The store feeds it each committed
// batch, reloads it after deletions, and saves it to productSnapshotFile
// when it closes, stamped with the store's last batch seq and event
// count. Open loads that snapshot when both still match (nothing was
// appended since), which takes a fraction of a second where rebuilding
// from the events table takes about 5µs an event; otherwise (a crash, an
// old file) it rebuilds.

const productSnapshotFile = "product.idx"

var (
	_ store.FunnelIndex    = (*Store)(nil)
	_ store.PathsIndex     = (*Store)(nil)
	_ store.RetentionIndex = (*Store)(nil)
)

// IndexedFunnel implements store.FunnelIndex with the product index.
func (s *Store) IndexedFunnel(r store.FunnelRequest) (store.FunnelWalk, bool) {
	return s.product.IndexedFunnel(r)
}

// IndexedPaths implements store.PathsIndex with the product index.
func (s *Store) IndexedPaths(r store.PathsRequest) ([]store.PathCount, bool) {
	return s.product.IndexedPaths(r)
}

// IndexedRetention implements store.RetentionIndex with the product index.
func (s *Store) IndexedRetention(r store.RetentionRequest) (store.RetentionResult, bool) {
	return s.product.IndexedRetention(r)
}

// openProductIndex loads the store's product index from its snapshot, or
// rebuilds it from the tables; Open calls it.
func (s *Store) openProductIndex(ctx context.Context) error {
	start := time.Now()
	n, ok, err := s.loadProductSnapshot(ctx)
	if err != nil {
		return err
	}
	if ok {
		s.log.Info("product index loaded from its snapshot", "rows", n, "took", time.Since(start).Round(time.Millisecond))
		return nil
	}
	s.product = productindex.New(cleaned)
	if n, err = s.product.Load(ctx, s); err != nil {
		return err
	}
	s.log.Info("product index rebuilt from the events", "rows", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// ingestMark is the store's last batch seq and event count.
func (s *Store) ingestMark(ctx context.Context) (seq uint64, events int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT seq, events FROM ingest_state WHERE id = 1`).Scan(&seq, &events)
	if err != nil {
		return 0, 0, fmt.Errorf("read ingest state: %w", err)
	}
	return seq, events, nil
}

// saveProductIndex writes the snapshot; Close calls it once no Append can
// run. A failure is logged: the next Open rebuilds instead.
func (s *Store) saveProductIndex(ctx context.Context) {
	if s.product == nil {
		return
	}
	path := filepath.Join(s.dir, productSnapshotFile)
	err := func() error {
		seq, events, err := s.ingestMark(ctx)
		if err != nil {
			return err
		}
		tmp := path + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			return fmt.Errorf("create %q: %w", tmp, err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		err = s.product.WriteSnapshot(w, seq, events)
		if err == nil {
			err = w.Flush()
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write %q: %w", tmp, err)
		}
		return os.Rename(tmp, path)
	}()
	if err != nil {
		s.log.Warn("cannot save the product index; the next start rebuilds it", "path", path, "err", err)
	}
}

// loadProductSnapshot loads the snapshot if it matches the store; ok is
// false when there is none or it is stale.
func (s *Store) loadProductSnapshot(ctx context.Context) (rows int, ok bool, err error) {
	path := filepath.Join(s.dir, productSnapshotFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("open %q: %w", path, err)
	}
	defer f.Close()
	seq, events, err := s.ingestMark(ctx)
	if err != nil {
		return 0, false, err
	}
	x, rows, ok, err := productindex.ReadSnapshot(bufio.NewReaderSize(f, 1<<20), seq, events, cleaned)
	if err != nil {
		s.log.Warn("ignoring an unreadable product index snapshot", "path", path, "err", err)
		return 0, false, nil
	}
	if ok {
		s.product = x
	}
	return rows, ok, nil
}
