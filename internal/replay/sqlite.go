package replay

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

// SQLite keeps recordings in an SQLite file of their own (replay.db in
// the data directory): a table of chunks, each a compressed blob as it
// came, and a table of sessions. Blobs of a few kilobytes are what SQLite
// stores well (faster than files of their own below ~100 KB, and one file
// instead of one per session); deleting a session frees its pages for
// reuse, and an incremental vacuum gives them back to the file system.
type SQLite struct {
	db   *sql.DB
	path string
}

const sqliteSchema = `
CREATE TABLE IF NOT EXISTS sessions (
  project_id INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  user_id TEXT NOT NULL DEFAULT '',
  anonymous_id TEXT NOT NULL DEFAULT '',
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  skew_ms INTEGER NOT NULL,
  pages INTEGER NOT NULL DEFAULT 0,
  chunks INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0,
  clicks INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  raw_bytes INTEGER NOT NULL DEFAULT 0,
  received_at INTEGER NOT NULL,
  seal_state INTEGER NOT NULL DEFAULT 0, -- 0 open, 1 sealing, 2 sealed
  seal_gen INTEGER NOT NULL DEFAULT 0,
  summary BLOB,
  PRIMARY KEY (project_id, session_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_unsealed ON sessions (seal_state, received_at);
CREATE INDEX IF NOT EXISTS sessions_last ON sessions (last_ts);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (project_id, user_id);
CREATE INDEX IF NOT EXISTS sessions_anon ON sessions (project_id, anonymous_id);
CREATE TABLE IF NOT EXISTS chunks (
  project_id INTEGER NOT NULL,
  session_id TEXT NOT NULL,
  page_id TEXT NOT NULL,
  seq INTEGER NOT NULL,
  first_ts INTEGER NOT NULL,
  last_ts INTEGER NOT NULL,
  events INTEGER NOT NULL,
  full INTEGER NOT NULL,
  raw_bytes INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (project_id, session_id, page_id, seq)
);`

// OpenSQLite opens (or creates) the recordings' database at path.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	fresh := false
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		fresh = true
	}
	// synchronous(FULL): a transaction is on disk when it commits, which
	// the pipeline relies on to drop its log of the chunks. _txlock
	// immediate: every transaction here writes after it reads, and a
	// deferred one cannot take the write lock once another connection
	// wrote after its read (SQLITE_BUSY at once, busy_timeout or not); an
	// immediate one waits for the lock up to busy_timeout.
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_pragma=synchronous(FULL)&_pragma=secure_delete(ON)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open replay store %q: %w", path, err)
	}
	db.SetMaxOpenConns(4)
	s := &SQLite{db: db, path: path}
	if fresh {
		// Before any table: deleted sessions' pages can be given back.
		if _, err := db.ExecContext(ctx, `PRAGMA auto_vacuum = INCREMENTAL`); err != nil {
			db.Close()
			return nil, fmt.Errorf("set up replay store %q: %w", path, err)
		}
	}
	if _, err := db.ExecContext(ctx, sqliteSchema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create replay store schema in %q: %w", path, err)
	}
	return s, nil
}

// PutChunks stores chunks in one transaction.
func (s *SQLite) PutChunks(ctx context.Context, chunks []Chunk) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("put replay chunks: %w", err)
	}
	defer tx.Rollback()
	for i := range chunks {
		c := &chunks[i]
		var newPage int
		if err := tx.QueryRowContext(ctx, `SELECT NOT EXISTS (SELECT 1 FROM chunks WHERE project_id = ? AND session_id = ? AND page_id = ?)`,
			c.ProjectID, c.SessionID, c.PageID).Scan(&newPage); err != nil {
			return fmt.Errorf("put replay chunk of session %q: %w", c.SessionID, err)
		}
		full := 0
		if c.Full {
			full = 1
		}
		res, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO chunks (project_id, session_id, page_id, seq, first_ts, last_ts, events, full, raw_bytes, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ProjectID, c.SessionID, c.PageID, c.Seq, c.First, c.Last, c.Events, full, c.RawBytes, c.Data)
		if err != nil {
			return fmt.Errorf("put replay chunk %d of session %q: %w", c.Seq, c.SessionID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // stored before: a replayed batch
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (project_id, session_id, user_id, anonymous_id, first_ts, last_ts, skew_ms,
				pages, chunks, events, clicks, bytes, raw_bytes, received_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
			ON CONFLICT (project_id, session_id) DO UPDATE SET
				user_id = CASE WHEN excluded.user_id <> '' THEN excluded.user_id ELSE user_id END,
				anonymous_id = CASE WHEN excluded.anonymous_id <> '' THEN excluded.anonymous_id ELSE anonymous_id END,
				first_ts = min(first_ts, excluded.first_ts), last_ts = max(last_ts, excluded.last_ts),
				pages = pages + excluded.pages, chunks = chunks + 1, events = events + excluded.events,
				clicks = clicks + excluded.clicks, bytes = bytes + excluded.bytes, raw_bytes = raw_bytes + excluded.raw_bytes,
				received_at = max(received_at, excluded.received_at), seal_state = 0`,
			c.ProjectID, c.SessionID, c.UserID, c.AnonymousID, c.First, c.Last, c.SkewMS,
			newPage, c.Events, c.Clicks, len(c.Data), c.RawBytes, c.ReceivedAt); err != nil {
			return fmt.Errorf("index replay chunk %d of session %q: %w", c.Seq, c.SessionID, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("put replay chunks: commit: %w", err)
	}
	return nil
}

const sessionCols = `project_id, session_id, user_id, anonymous_id, first_ts, last_ts, skew_ms, pages, chunks, events, clicks,
	bytes, raw_bytes, received_at, seal_state, seal_gen, summary`

func scanSession(rows interface{ Scan(...any) error }) (SessionInfo, error) {
	var si SessionInfo
	var state int
	err := rows.Scan(&si.ProjectID, &si.SessionID, &si.UserID, &si.AnonymousID, &si.First, &si.Last, &si.SkewMS, &si.Pages,
		&si.Chunks, &si.Events, &si.Clicks, &si.Bytes, &si.RawBytes, &si.ReceivedAt, &state, &si.SealGen, &si.Summary)
	si.Sealed = state == 2
	return si, err
}

func (s *SQLite) sessions(ctx context.Context, q string, args ...any) ([]SessionInfo, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read replay sessions: %w", err)
	}
	defer rows.Close()
	var out []SessionInfo
	for rows.Next() {
		si, err := scanSession(rows)
		if err != nil {
			return nil, fmt.Errorf("read replay sessions: %w", err)
		}
		out = append(out, si)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read replay sessions: %w", err)
	}
	return out, nil
}

// Sessions returns the rows of the ids that have a recording, in the order of ids.
func (s *SQLite) Sessions(ctx context.Context, project int64, ids []string) ([]SessionInfo, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{project}
	for _, id := range ids {
		args = append(args, id)
	}
	got, err := s.sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE project_id = ? AND session_id IN (?`+
		strings.Repeat(", ?", len(ids)-1)+`)`, args...)
	if err != nil {
		return nil, err
	}
	by := make(map[string]SessionInfo, len(got))
	for _, si := range got {
		by[si.SessionID] = si
	}
	out := make([]SessionInfo, 0, len(got))
	for _, id := range ids {
		if si, ok := by[id]; ok {
			out = append(out, si)
			delete(by, id)
		}
	}
	return out, nil
}

// SessionsOf returns the recordings of persons overlapping [from, to],
// newest first.
func (s *SQLite) SessionsOf(ctx context.Context, project int64, persons []string, from, to int64, limit int) ([]SessionInfo, error) {
	if len(persons) == 0 || limit <= 0 {
		return nil, nil
	}
	in := "(?" + strings.Repeat(", ?", len(persons)-1) + ")"
	args := []any{project, to, from}
	for range 2 {
		for _, p := range persons {
			args = append(args, p)
		}
	}
	args = append(args, limit)
	return s.sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE project_id = ? AND first_ts + skew_ms <= ? AND last_ts + skew_ms >= ?
		AND (user_id IN `+in+` OR anonymous_id IN `+in+`) ORDER BY first_ts DESC, session_id LIMIT ?`, args...)
}

// Chunks calls fn with each chunk of the session in playing order.
func (s *SQLite) Chunks(ctx context.Context, project int64, session string, fn func(Chunk) error) error {
	rows, err := s.db.QueryContext(ctx, `SELECT page_id, seq, first_ts, last_ts, events, full, raw_bytes, data,
			min(first_ts) OVER (PARTITION BY page_id) AS page_first
		FROM chunks WHERE project_id = ? AND session_id = ? ORDER BY page_first, page_id, seq`, project, session)
	if err != nil {
		return fmt.Errorf("read replay of session %q: %w", session, err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		c := Chunk{ProjectID: project, SessionID: session}
		var full int
		var pageFirst int64
		if err := rows.Scan(&c.PageID, &c.Seq, &c.First, &c.Last, &c.Events, &full, &c.RawBytes, &c.Data, &pageFirst); err != nil {
			return fmt.Errorf("read replay of session %q: %w", session, err)
		}
		c.Full = full == 1
		n++
		if err := fn(c); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read replay of session %q: %w", session, err)
	}
	if n == 0 {
		return notFoundf("session %q", session)
	}
	return nil
}

// Unsealed lists sessions ready to seal.
func (s *SQLite) Unsealed(ctx context.Context, receivedBy, lastBy int64, limit int) ([]SessionInfo, error) {
	return s.sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE seal_state <> 2 AND received_at <= ? AND last_ts + skew_ms <= ?
		ORDER BY received_at LIMIT ?`, receivedBy, lastBy, limit)
}

// Sealing lists the sessions whose seal was begun and not ended.
func (s *SQLite) Sealing(ctx context.Context) ([]SessionInfo, error) {
	return s.sessions(ctx, `SELECT `+sessionCols+` FROM sessions WHERE seal_state = 1`)
}

// BeginSeal marks the session as being sealed.
func (s *SQLite) BeginSeal(ctx context.Context, project int64, session string) (int64, error) {
	var gen int64
	err := s.db.QueryRowContext(ctx, `UPDATE sessions SET seal_state = 1, seal_gen = seal_gen + 1
		WHERE project_id = ? AND session_id = ? RETURNING seal_gen`, project, session).Scan(&gen)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFoundf("session %q", session)
	}
	if err != nil {
		return 0, fmt.Errorf("begin sealing replay of session %q: %w", session, err)
	}
	return gen, nil
}

// EndSeal marks the session sealed unless a chunk came in the meantime.
func (s *SQLite) EndSeal(ctx context.Context, project int64, session string, gen int64, summary []byte) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET seal_state = 2, summary = ?
		WHERE project_id = ? AND session_id = ? AND seal_state = 1 AND seal_gen = ?`, summary, project, session, gen); err != nil {
		return fmt.Errorf("seal replay of session %q: %w", session, err)
	}
	return nil
}

// Expire deletes the sessions last recorded before before.
func (s *SQLite) Expire(ctx context.Context, before int64) (int64, int64, error) {
	return s.expire(ctx, "1 = 1", before)
}

// ExpireProject deletes a project's sessions last recorded before before
// (its own retention, shorter than the server's).
func (s *SQLite) ExpireProject(ctx context.Context, project, before int64) (int64, int64, error) {
	return s.expire(ctx, fmt.Sprintf("project_id = %d", project), before)
}

func (s *SQLite) expire(ctx context.Context, which string, before int64) (int64, int64, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, 0, fmt.Errorf("expire replays: %w", err)
	}
	defer tx.Rollback()
	var n, bytes sql.NullInt64
	if err := tx.QueryRowContext(ctx, `SELECT count(*), sum(bytes) FROM sessions WHERE `+which+` AND last_ts + skew_ms < ?`, before).Scan(&n, &bytes); err != nil {
		return 0, 0, fmt.Errorf("expire replays: %w", err)
	}
	if n.Int64 == 0 {
		return 0, 0, nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE (project_id, session_id) IN
		(SELECT project_id, session_id FROM sessions WHERE `+which+` AND last_ts + skew_ms < ?)`, before); err != nil {
		return 0, 0, fmt.Errorf("expire replay chunks: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE `+which+` AND last_ts + skew_ms < ?`, before); err != nil {
		return 0, 0, fmt.Errorf("expire replay sessions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return 0, 0, fmt.Errorf("expire replays: %w", err)
	}
	// Give the freed pages back to the file system.
	if _, err := s.db.ExecContext(ctx, `PRAGMA incremental_vacuum`); err != nil {
		return n.Int64, bytes.Int64, fmt.Errorf("vacuum replay store: %w", err)
	}
	return n.Int64, bytes.Int64, nil
}

// Erase deletes a person's sessions and their chunks, then gives the
// freed pages back to the file system and truncates the write-ahead log,
// so the recordings' bytes leave the disk.
func (s *SQLite) Erase(ctx context.Context, project int64, userID string, anonymousIDs, sessions []string) (int64, error) {
	if userID == "" {
		return 0, fmt.Errorf("erase the recordings of a person of project %d: empty user id", project)
	}
	anon, _ := json.Marshal(nonEmpty(anonymousIDs))
	ids, _ := json.Marshal(nonEmpty(sessions))
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("erase the recordings of person %q: %w", userID, err)
	}
	defer tx.Rollback()
	const which = `project_id = ? AND (user_id = ? OR anonymous_id IN (SELECT value FROM json_each(?))
		OR session_id IN (SELECT value FROM json_each(?)))`
	if _, err := tx.ExecContext(ctx, `DELETE FROM chunks WHERE (project_id, session_id) IN
		(SELECT project_id, session_id FROM sessions WHERE `+which+`)
		OR (project_id = ? AND session_id IN (SELECT value FROM json_each(?)))`,
		project, userID, string(anon), string(ids), project, string(ids)); err != nil {
		return 0, fmt.Errorf("erase the recordings' chunks of person %q: %w", userID, err)
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE `+which, project, userID, string(anon), string(ids))
	if err != nil {
		return 0, fmt.Errorf("erase the recordings of person %q: %w", userID, err)
	}
	n, _ := res.RowsAffected()
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("erase the recordings of person %q: commit: %w", userID, err)
	}
	for _, q := range []string{`PRAGMA incremental_vacuum`, `PRAGMA wal_checkpoint(TRUNCATE)`} {
		if _, err := s.db.ExecContext(ctx, q); err != nil {
			return n, fmt.Errorf("erase the recordings of person %q: %s: %w", userID, q, err)
		}
	}
	return n, nil
}

func nonEmpty(ss []string) []string {
	out := []string{}
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Size is the database's size on disk (its file and its write-ahead log).
func (s *SQLite) Size(ctx context.Context) (int64, error) {
	var total int64
	for _, p := range []string{s.path, s.path + "-wal"} {
		if st, err := os.Stat(p); err == nil {
			total += st.Size()
		}
	}
	return total, nil
}

// Close closes the database.
func (s *SQLite) Close() error { return s.db.Close() }

var _ Blobs = (*SQLite)(nil)
