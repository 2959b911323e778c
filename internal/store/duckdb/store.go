package duckdb

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/lore-dev/lore/internal/sqlq/duckfn"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/blockfilter"
	"github.com/lore-dev/lore/internal/store/errindex"
	"github.com/lore-dev/lore/internal/store/productindex"
	"github.com/lore-dev/lore/internal/store/rollup"
)

// Options tune the embedded database.
type Options struct {
	// MemoryLimit is DuckDB's memory_limit; default "384MB". DuckDB's RSS
	// runs above it while ingesting: BenchmarkAppend (whose Go heap holds
	// ~270MB) peaked at ~990MB with 512MB, ~875MB with 384MB and ~735MB
	// with 256MB, at the same ingest rate.
	MemoryLimit string
	// Threads is DuckDB's worker thread count; default 2.
	Threads int
	// MaxConns caps the connection pool; default 4.
	MaxConns int
	// CheckpointThreshold is DuckDB's checkpoint_threshold, the WAL size
	// that triggers a checkpoint; default "128MB". DuckDB's 16MB default
	// checkpoints after nearly every large batch, rewriting and
	// recompressing the table's last row group each time.
	CheckpointThreshold string
	// RowGroupSize is the rows per DuckDB row group, the unit its min/max
	// statistics prune by; default 32768 (DuckDB's own is 122,880). Measured
	// at 5M events against DuckDB's default: journeys and searches 1.3–2x
	// faster, ingest ~1.2x faster, bytes per event the same (16384 cost
	// +5 bytes an event).
	RowGroupSize int
	// QueryTimeout is the deadline of a query whose context has none
	// (background work; requests bring their own); default 30s.
	QueryTimeout time.Duration
	// CompactFree is the share of free blocks (space deleted rows left)
	// at which Open first copies the file into a compact one, giving the
	// space back to the file system (retention.go); default 0.2, negative
	// never. Open also compacts after retention deleted events.
	CompactFree float64
	// ArchiveDir, when set, is the cold tier: events deleted by
	// retention or the disk watermark are first written there as zstd
	// Parquet files, one directory per project, kind and day, and
	// searches reaching back that far read them (archive.go).
	ArchiveDir string
	// ArchiveBucket, with ArchiveDir, keeps the cold tier in a bucket:
	// ArchiveDir is then its local cache (archive_bucket.go).
	ArchiveBucket ArchiveBucket
	// ArchiveCacheBytes bounds the files fetched from the bucket that
	// the cache keeps; default 1 GiB.
	ArchiveCacheBytes int64
	// ArchiveRetention, when positive, is how long archived days are
	// kept: ExpireArchive removes older ones (files and objects).
	ArchiveRetention time.Duration
}

func (o Options) withDefaults() Options {
	if o.MemoryLimit == "" {
		o.MemoryLimit = "384MB"
	}
	if o.Threads <= 0 {
		o.Threads = 2
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 4
	}
	if o.RowGroupSize <= 0 {
		o.RowGroupSize = 32768
	}
	if o.QueryTimeout <= 0 {
		o.QueryTimeout = 30 * time.Second
	}
	if o.CompactFree == 0 {
		o.CompactFree = 0.2
	}
	if o.CheckpointThreshold == "" {
		o.CheckpointThreshold = "128MB"
	}
	if o.ArchiveCacheBytes <= 0 {
		o.ArchiveCacheBytes = 1 << 30
	}
	return o
}

// dbFile is the database file's name inside the store's directory.
const dbFile = "events.duckdb"

// Store is the DuckDB events store. Its methods are safe for concurrent use,
// except Append, which the pipeline calls from one goroutine.
type Store struct {
	dir  string
	path string
	db   sqlDB
	conn *duckdb.Connector
	log  *slog.Logger

	blocks  *blockfilter.Set
	errs    *errindex.Index
	rollups *rollup.Rollups // the narrative rollups' readers (rollup.go)

	mu     sync.Mutex // serialises Append and Close
	idents identCache
	closed bool
	// closeCheckpoint bounds the checkpoint at Close (closeCheckpointTimeout).
	closeCheckpoint time.Duration

	product     *productindex.Index // see productindex.go
	archive     string              // the cold tier's directory, or "" (archive.go)
	remote      *remoteArchive      // the cold tier's bucket, or nil (archive_bucket.go)
	archiveKeep time.Duration       // Options.ArchiveRetention
	// staleProduct and staleErrors: DeleteEvents deleted rows the product
	// or error index holds; Reindex rebuilds them (under mu).
	staleProduct, staleErrors bool
	sampled                   sampledDays // the days holding sampled events (sampled.go)
}

var _ store.Store = (*Store)(nil)

const schema = `
CREATE TABLE IF NOT EXISTS events (
	project_id INTEGER NOT NULL,
	ts BIGINT NOT NULL,
	received_at BIGINT NOT NULL,
	kind VARCHAR NOT NULL,
	level VARCHAR NOT NULL,
	service VARCHAR NOT NULL,
	env VARCHAR NOT NULL,
	release VARCHAR NOT NULL,
	host VARCHAR NOT NULL,
	trace_hi UBIGINT NOT NULL,
	trace_lo UBIGINT NOT NULL,
	span_id UBIGINT NOT NULL,
	parent_span_id UBIGINT NOT NULL,
	user_id VARCHAR NOT NULL,
	anonymous_id VARCHAR NOT NULL,
	session_id VARCHAR NOT NULL,
	request_id VARCHAR NOT NULL,
	name VARCHAR NOT NULL,
	message VARCHAR NOT NULL,
	http_method VARCHAR NOT NULL,
	endpoint VARCHAR NOT NULL,
	http_status SMALLINT,
	duration_ms DOUBLE,
	error_type VARCHAR NOT NULL,
	error_code VARCHAR NOT NULL,
	fingerprint VARCHAR NOT NULL,
	retry_attempt SMALLINT,
	attr_keys VARCHAR[] NOT NULL,
	attr_values VARCHAR[] NOT NULL
);
CREATE TABLE IF NOT EXISTS blocks (
	project_id INTEGER NOT NULL,
	min_ts BIGINT NOT NULL,
	max_ts BIGINT NOT NULL,
	rows BIGINT NOT NULL,
	keys BLOB NOT NULL,
	grams BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS idents (
	project_id INTEGER NOT NULL,
	anonymous_id VARCHAR NOT NULL,
	user_id VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS ingest_state (
	id INTEGER PRIMARY KEY,
	seq UBIGINT NOT NULL,
	events BIGINT NOT NULL
);
INSERT OR IGNORE INTO ingest_state VALUES (1, 0, 0);
`

// tempDir is where DuckDB writes what a query spills: a directory of
// the store's own, inside its data directory.
func tempDir(dir string) string { return filepath.Join(dir, "tmp") }

// Open opens (creating if needed) the store in dir.
func Open(ctx context.Context, dir string, opts Options, log *slog.Logger) (*Store, error) {
	opts = opts.withDefaults()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create store directory %q: %w", dir, err)
	}
	path := filepath.Join(dir, dbFile)
	if _, _, err := compactFile(ctx, path, opts.CompactFree, opts.RowGroupSize, log); err != nil {
		return nil, err
	}
	// The file is attached to an in-memory instance, as only ATTACH takes
	// a row group size; every pooled connection then USEs it.
	// An in-memory instance spills to ".tmp" in the working directory by
	// default; the spill files belong in the data directory.
	dsn := fmt.Sprintf("?threads=%d&memory_limit=%s&checkpoint_threshold=%s&temp_directory=%s",
		opts.Threads, url.QueryEscape(opts.MemoryLimit), url.QueryEscape(opts.CheckpointThreshold), url.QueryEscape(tempDir(dir)))
	attach := fmt.Sprintf("ATTACH IF NOT EXISTS '%s' AS lore (ROW_GROUP_SIZE %d); USE lore",
		strings.ReplaceAll(path, "'", "''"), opts.RowGroupSize)
	// The text match macros (duckfn) name Go functions, registered on
	// the first connection (registerMatchers); every later one creates
	// them as it opens.
	var matchers atomic.Bool
	initConn := func(c driver.ExecerContext) error {
		if _, err := c.ExecContext(context.Background(), attach, nil); err != nil {
			return fmt.Errorf("attach %q: %w", path, err)
		}
		if matchers.Load() {
			if _, err := c.ExecContext(context.Background(), duckfn.Macros, nil); err != nil {
				return fmt.Errorf("create the text match macros: %w", err)
			}
		}
		return nil
	}
	conn, err := duckdb.NewConnector(dsn, initConn)
	if err != nil {
		return nil, fmt.Errorf("open duckdb %q: %w", path, err)
	}
	db := sqlDB{DB: sql.OpenDB(conn), timeout: opts.QueryTimeout}
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	s := &Store{dir: dir, path: path, db: db, conn: conn, log: log, closeCheckpoint: closeCheckpointTimeout, blocks: blockfilter.NewSet(), errs: errindex.New(), archive: opts.ArchiveDir,
		sampled: sampledDays{days: map[int64]map[int64]bool{}}, archiveKeep: opts.ArchiveRetention}
	// Before any other statement: a connection opened before would have
	// no macros.
	if err := registerMatchers(ctx, db); err != nil {
		s.closeDB()
		return nil, err
	}
	matchers.Store(true)
	if opts.ArchiveBucket != nil {
		if opts.ArchiveDir == "" {
			s.closeDB()
			return nil, errors.New("an archive bucket needs an archive directory for its cache")
		}
		s.remote = newRemoteArchive(opts.ArchiveBucket, opts.ArchiveDir, opts.ArchiveCacheBytes, opts.QueryTimeout, log)
		// List the bucket now, so that its days are known (and saved)
		// before the first search; a bucket down is listed again later.
		lctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		if err := s.remote.ensureListed(lctx); err != nil {
			log.Warn("cannot list the archive's bucket; searches reaching archived days fail until it can be", "err", err)
		}
		cancel()
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		s.closeDB()
		return nil, fmt.Errorf("create schema in %q: %w", path, err)
	}
	if s.archive != "" {
		if err := s.resolvePending(ctx); err != nil {
			s.closeDB()
			return nil, err
		}
	}
	if err := s.loadBlocks(ctx); err != nil {
		s.closeDB()
		return nil, err
	}
	if err := s.openProductIndex(ctx); err != nil {
		s.closeDB()
		return nil, err
	}
	if err := s.errs.Load(ctx, s); err != nil {
		s.closeDB()
		return nil, err
	}
	if err := s.openRollups(ctx); err != nil {
		s.closeDB()
		return nil, err
	}
	if err := s.openSampled(ctx); err != nil {
		s.closeDB()
		return nil, err
	}
	return s, nil
}

// The checkpoint at Close folds DuckDB's WAL into the database file. It
// cannot report progress, and with a large WAL on a busy machine it may take
// minutes, so it gets a generous bound of its own rather than a few
// seconds; waiting for another write transaction to end (a background
// writer rolling back) is bounded more tightly.
const (
	closeCheckpointTimeout = 5 * time.Minute
	closeConflictWait      = 10 * time.Second
)

// errCheckpointDeferred wraps the error of a checkpoint at Close that did
// not finish in time. Nothing is lost: DuckDB's WAL stays whole (DuckDB
// tries the checkpoint again as the database closes, and replays the WAL
// when the store opens next), so Close warns rather than fails.
var errCheckpointDeferred = errors.New("the checkpoint did not finish in time; the WAL is kept and replayed at the next open")

// checkpointAtClose writes the WAL into the file. A background writer
// told to stop (retention, the watermark, the field catalogue) may still
// be rolling back its cancelled transaction — database/sql rolls back a
// cancelled Tx asynchronously — so a checkpoint that finds another write
// transaction waits for it a little, on one connection that first clears
// any transaction left aborted on it. Its error wraps
// errCheckpointDeferred when the bound ran out (or the other transaction
// did not end).
func (s *Store) checkpointAtClose() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.closeCheckpoint)
	defer cancel()
	deferred := func(err error) error {
		return fmt.Errorf("%w (after %s): %w", errCheckpointDeferred, s.closeCheckpoint, err)
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return deferred(err)
		}
		return err
	}
	defer conn.Close()
	conflictUntil := time.Now().Add(closeConflictWait)
	for {
		_, err = conn.ExecContext(ctx, `CHECKPOINT`)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			return deferred(err)
		}
		msg := err.Error()
		switch {
		case strings.Contains(msg, "transaction is aborted"):
			conn.ExecContext(ctx, `ROLLBACK`) //nolint:errcheck // clears the aborted transaction; the retry reports
		case strings.Contains(msg, "other write transactions active"):
		default:
			return err
		}
		if time.Now().After(conflictUntil) {
			return fmt.Errorf("%w: %w", errCheckpointDeferred, err)
		}
		select {
		case <-ctx.Done():
			return deferred(err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// registerMatchers registers the text matches' Go functions and creates
// their macros on one connection of db (see duckfn).
func registerMatchers(ctx context.Context, db sqlDB) error {
	c, err := db.DB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer c.Close()
	return duckfn.Register(ctx, c)
}

func (s *Store) closeDB() error {
	return errors.Join(s.db.Close(), s.conn.Close())
}

// LastSeq returns the Seq of the last committed batch.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	var seq uint64
	if err := s.db.QueryRowContext(ctx, `SELECT seq FROM ingest_state WHERE id = 1`).Scan(&seq); err != nil {
		return 0, fmt.Errorf("read last seq: %w", err)
	}
	return seq, nil
}

// Stats reports the row count (kept in ingest_state) and the bytes of the
// database file and its write-ahead log.
func (s *Store) Stats(ctx context.Context) (store.Stats, error) {
	var st store.Stats
	if err := s.db.QueryRowContext(ctx, `SELECT events FROM ingest_state WHERE id = 1`).Scan(&st.Events); err != nil {
		return st, fmt.Errorf("read event count: %w", err)
	}
	for _, p := range []string{s.path, s.path + ".wal"} {
		fi, err := os.Stat(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return st, fmt.Errorf("stat %q: %w", p, err)
		}
		st.DiskBytes += fi.Size()
	}
	return st, nil
}

// Checkpoint folds the write-ahead log into the database file.
func (s *Store) Checkpoint(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CHECKPOINT`); err != nil {
		return fmt.Errorf("checkpoint %q: %w", s.path, err)
	}
	return nil
}

// Close checkpoints and closes the database. A checkpoint that does not
// finish in time is a warning (errCheckpointDeferred), not an error: the
// WAL it would have folded is replayed at the next open.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	var errs []error
	switch err := s.checkpointAtClose(); {
	case errors.Is(err, errCheckpointDeferred):
		s.log.Warn("the store closed without its final checkpoint", "path", s.path, "err", err)
	case err != nil:
		errs = append(errs, fmt.Errorf("checkpoint %q: %w", s.path, err))
	}
	s.saveProductIndex(context.Background())
	errs = append(errs, s.closeDB())
	return errors.Join(errs...)
}
