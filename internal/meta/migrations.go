package meta

import (
	"context"
	"errors"
	"fmt"
	"time"

	"modernc.org/sqlite"
)

// migration is one step of the metadata schema, written once for both
// engines: statements in the shared SQL subset with SQLite's type names,
// which engine.ddl spells for PostgreSQL. Each step runs in a transaction
// with the version it brings the schema to; a step never changes once
// released (add a new one instead).
type migration struct {
	version int
	what    string
	up      func(ctx context.Context, m migrator) error
}

// migrator runs a migration's statements in its transaction.
type migrator struct {
	tx *txn
	e  engine
}

func (m migrator) exec(ctx context.Context, stmts ...string) error {
	for _, q := range stmts {
		if _, err := m.tx.ExecContext(ctx, m.e.ddl(q)); err != nil {
			return fmt.Errorf("run %q: %w", firstLine(q), err)
		}
	}
	return nil
}

// addColumn adds a column a table created by an older Lore lacks.
func (m migrator) addColumn(ctx context.Context, table, name, def string) error {
	ok, err := m.e.hasColumn(ctx, m.tx, table, name)
	if err != nil || ok {
		return err
	}
	return m.exec(ctx, `ALTER TABLE `+table+` ADD COLUMN `+name+` `+def)
}

func firstLine(q string) string {
	for i, c := range q {
		if c == '\n' && i > 0 {
			return q[:i]
		}
	}
	return q
}

// migrations is the metadata schema, oldest first. Versions 1 to 3 are
// those SQLite's user_version counted before PostgreSQL was supported;
// version 4 gathers the tables each feature used to create when it opened
// (CREATE … IF NOT EXISTS, as a database may hold some of them already).
var migrations = []migration{
	{1, "projects and keys", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS projects (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  created_at INTEGER NOT NULL
)`, `CREATE TABLE IF NOT EXISTS api_keys (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  role TEXT NOT NULL CHECK (role IN ('ingest','read')),
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL
)`,
			// Key prefixes kept whole a key of up to 12 characters (a pinned
			// one); keep a third of those, as keyPrefix now does. Generated
			// keys (48 characters) keep their 12.
			`UPDATE api_keys SET prefix = substr(prefix, 1, length(prefix) / 3)
  WHERE NOT (length(prefix) = 12 AND (prefix LIKE 'lore\_in\_%' ESCAPE '\' OR prefix LIKE 'lore\_rd\_%' ESCAPE '\'))`)
	}},
	{2, "users, members, sessions, login links, audit; member and admin keys", func(ctx context.Context, m migrator) error {
		if err := m.exec(ctx, `CREATE TABLE IF NOT EXISTS users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE COLLATE NOCASE,
  password TEXT NOT NULL DEFAULT '',
  server_admin INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
)`, `CREATE TABLE IF NOT EXISTS members (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  user_id INTEGER NOT NULL REFERENCES users(id),
  role TEXT NOT NULL CHECK (role IN ('viewer','member','admin')),
  PRIMARY KEY (project_id, user_id)
)`, `CREATE TABLE IF NOT EXISTS sessions (
  hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  csrf TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
)`, `CREATE TABLE IF NOT EXISTS login_links (
  hash TEXT PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES users(id),
  expires_at INTEGER NOT NULL
)`, `CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY,
  ts INTEGER NOT NULL,
  project_id INTEGER NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  remote TEXT NOT NULL,
  status INTEGER NOT NULL
)`, `CREATE INDEX IF NOT EXISTS audit_project ON audit (project_id, id)`,
			// A CHECK constraint cannot change in SQLite: rebuild api_keys.
			`CREATE TABLE api_keys_v2 (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  role TEXT NOT NULL CHECK (role IN ('ingest','read','member','admin')),
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER
)`, `INSERT INTO api_keys_v2 (id, project_id, role, hash, prefix, created_at) SELECT id, project_id, role, hash, prefix, created_at FROM api_keys`,
			`DROP TABLE api_keys`,
			`ALTER TABLE api_keys_v2 RENAME TO api_keys`); err != nil {
			return err
		}
		return m.e.syncIDs(ctx, m.tx, "api_keys")
	}},
	{3, "allowed origins; browser keys", func(ctx context.Context, m migrator) error {
		if err := m.exec(ctx, `CREATE TABLE IF NOT EXISTS allowed_origins (
  project_id INTEGER NOT NULL REFERENCES projects(id),
  origin TEXT NOT NULL,
  PRIMARY KEY (project_id, origin)
)`, `CREATE TABLE api_keys_v3 (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL REFERENCES projects(id),
  role TEXT NOT NULL CHECK (role IN ('ingest','browser','read','member','admin')),
  hash TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  expires_at INTEGER
)`, `INSERT INTO api_keys_v3 (id, project_id, role, hash, prefix, created_at, expires_at)
  SELECT id, project_id, role, hash, prefix, created_at, expires_at FROM api_keys`,
			`DROP TABLE api_keys`,
			`ALTER TABLE api_keys_v3 RENAME TO api_keys`); err != nil {
			return err
		}
		return m.e.syncIDs(ctx, m.tx, "api_keys")
	}},
	{4, "identities, issues, dashboards, settings, source maps, monitors, channels, outbox, checks", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS identities (
  issuer TEXT NOT NULL,
  subject TEXT NOT NULL,
  user_id INTEGER NOT NULL REFERENCES users(id),
  email TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  seen_at INTEGER NOT NULL,
  PRIMARY KEY (issuer, subject)
)`, `CREATE UNIQUE INDEX IF NOT EXISTS identities_user ON identities (issuer, user_id)`,
			`CREATE TABLE IF NOT EXISTS issues (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  title TEXT NOT NULL,
  culprit TEXT NOT NULL,
  level TEXT NOT NULL,
  error_type TEXT NOT NULL,
  status TEXT NOT NULL,
  first_seen INTEGER NOT NULL,
  first_release TEXT NOT NULL,
  resolved_at INTEGER NOT NULL DEFAULT 0,
  resolved_release TEXT NOT NULL DEFAULT '',
  ignore_until INTEGER NOT NULL DEFAULT 0,
  ignore_count INTEGER NOT NULL DEFAULT 0,
  ignored_seen INTEGER NOT NULL DEFAULT 0,
  regressed_at INTEGER NOT NULL DEFAULT 0,
  regressed_release TEXT NOT NULL DEFAULT '',
  assignee TEXT NOT NULL DEFAULT '',
  merged_into INTEGER NOT NULL DEFAULT 0,
  dropped INTEGER NOT NULL DEFAULT 0
)`, `CREATE TABLE IF NOT EXISTS issue_fingerprints (
  project_id INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  issue_id INTEGER NOT NULL,
  PRIMARY KEY (project_id, fingerprint)
)`, `CREATE INDEX IF NOT EXISTS issue_fingerprints_issue ON issue_fingerprints (issue_id)`,
			`CREATE TABLE IF NOT EXISTS issue_signals (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  issue_id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  ts INTEGER NOT NULL,
  release TEXT NOT NULL
)`, `CREATE TABLE IF NOT EXISTS issue_settings (
  project_id INTEGER PRIMARY KEY,
  settings TEXT NOT NULL
)`, `CREATE TABLE IF NOT EXISTS dashboards (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
)`, `CREATE TABLE IF NOT EXISTS saved_searches (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
)`, `CREATE TABLE IF NOT EXISTS project_settings (
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  settings TEXT NOT NULL,
  PRIMARY KEY (project_id, name)
)`, `CREATE TABLE IF NOT EXISTS capture_settings (
  project_id INTEGER PRIMARY KEY,
  settings TEXT NOT NULL
)`, `CREATE TABLE IF NOT EXISTS sourcemap_files (
  project_id INTEGER NOT NULL,
  release TEXT NOT NULL,
  name TEXT NOT NULL,
  body BLOB NOT NULL,
  uploaded_at INTEGER NOT NULL,
  PRIMARY KEY (project_id, release, name)
)`, `CREATE TABLE IF NOT EXISTS monitors (
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never reused: URLs, dedupe keys and checks named by monitors stay unambiguous
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  state TEXT NOT NULL DEFAULT 'no_data',
  value REAL,
  last_eval INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '',
  state_since INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
)`, `CREATE TABLE IF NOT EXISTS monitor_events (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  monitor_id INTEGER NOT NULL,
  ts INTEGER NOT NULL,
  from_state TEXT NOT NULL,
  to_state TEXT NOT NULL,
  value REAL,
  threshold REAL NOT NULL
)`, `CREATE INDEX IF NOT EXISTS monitor_events_monitor ON monitor_events (monitor_id, ts)`,
			`CREATE TABLE IF NOT EXISTS monitor_series (
  monitor_id INTEGER NOT NULL,
  key TEXT NOT NULL,
  state TEXT NOT NULL,
  value REAL,
  threshold REAL,
  since INTEGER NOT NULL,
  firing INTEGER NOT NULL DEFAULT 0,
  last_fired INTEGER NOT NULL DEFAULT 0,
  last_seen INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (monitor_id, key)
)`, `CREATE TABLE IF NOT EXISTS channels (
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never reused: URLs, dedupe keys and checks named by monitors stay unambiguous
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
)`, `CREATE TABLE IF NOT EXISTS notifications (
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never reused: URLs, dedupe keys and checks named by monitors stay unambiguous
  project_id INTEGER NOT NULL,
  channel_id INTEGER NOT NULL,       -- 0: the monitor's own webhook, in url
  url TEXT NOT NULL DEFAULT '',
  monitor_id INTEGER NOT NULL,
  body TEXT NOT NULL,                 -- the notification as JSON
  status TEXT NOT NULL,               -- pending, sent or failed
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER NOT NULL,           -- µs: when the next attempt is due
  created_at INTEGER NOT NULL,        -- µs
  last_error TEXT NOT NULL DEFAULT ''
)`, `CREATE INDEX IF NOT EXISTS notifications_due ON notifications (status, next_at)`,
			`CREATE TABLE IF NOT EXISTS notification_attempts (
  id INTEGER PRIMARY KEY,
  project_id INTEGER NOT NULL,
  notification_id INTEGER NOT NULL,
  channel_id INTEGER NOT NULL,
  monitor_id INTEGER NOT NULL,
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,                -- µs
  ok INTEGER NOT NULL,
  duration_ms REAL NOT NULL,
  error TEXT NOT NULL DEFAULT ''
)`, `CREATE INDEX IF NOT EXISTS notification_attempts_channel ON notification_attempts (project_id, channel_id, at)`,
			`CREATE TABLE IF NOT EXISTS checks (
  id INTEGER PRIMARY KEY AUTOINCREMENT, -- ids are never reused: URLs, dedupe keys and checks named by monitors stay unambiguous
  project_id INTEGER NOT NULL,
  name TEXT NOT NULL,
  body TEXT NOT NULL,
  status TEXT NOT NULL DEFAULT 'unknown',
  status_since INTEGER NOT NULL DEFAULT 0,
  last_run INTEGER NOT NULL DEFAULT 0,
  last_result TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (project_id, name)
)`)
	}},
	{5, "monitor events name their series and what was sent", func(ctx context.Context, m migrator) error {
		if err := m.addColumn(ctx, "monitor_events", "series", "TEXT NOT NULL DEFAULT ''"); err != nil {
			return err
		}
		return m.addColumn(ctx, "monitor_events", "note", "TEXT NOT NULL DEFAULT ''")
	}},
	{6, "emails are unique whatever their case, on every engine", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower ON users (lower(email))`)
	}},
	{7, "leases: work that runs on one node at a time", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY,
  holder TEXT NOT NULL,
  token INTEGER NOT NULL,      -- grows each time the lease changes hands
  expires_at INTEGER NOT NULL  -- µs, by the database's clock
)`)
	}},
	{8, "pattern ids: one per stream and template across nodes", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS pattern_ids (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, -- claim order
  project_id INTEGER NOT NULL,
  service TEXT NOT NULL,
  template_key TEXT NOT NULL,  -- a hash of the template
  template TEXT NOT NULL,      -- its tokens, as a JSON array
  id TEXT NOT NULL,
  claimed_at INTEGER NOT NULL, -- µs, by the database's clock
  UNIQUE (project_id, service, template_key),
  UNIQUE (project_id, id)
)`, `CREATE INDEX IF NOT EXISTS pattern_ids_claimed ON pattern_ids (claimed_at, seq)`)
	}},
	{9, "pattern merges: ids one node found to be one pattern", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS pattern_merges (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL,
  service TEXT NOT NULL,
  id TEXT NOT NULL,
  into_id TEXT NOT NULL,
  merged_at INTEGER NOT NULL, -- µs, by the database's clock
  UNIQUE (project_id, id, into_id)
)`, `CREATE INDEX IF NOT EXISTS pattern_merges_merged ON pattern_merges (merged_at, seq)`)
	}},
	{10, "store changes: a counter per project that a deletion bumps", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS store_changes (
  project_id INTEGER PRIMARY KEY, -- 0: a deletion of no one project
  counter INTEGER NOT NULL        -- bumped after each deletion of the project's events
)`)
	}},
	{11, "story answers and windows: the stories one node computed, for every node", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS story_answers (
  project_id INTEGER NOT NULL,
  min_severity TEXT NOT NULL,
  span INTEGER NOT NULL,        -- µs: the window's length
  range_to INTEGER NOT NULL,    -- µs: its end
  generation INTEGER NOT NULL,  -- the deletions counted in store_changes before it was computed
  computed_at INTEGER NOT NULL, -- µs, by the database's clock
  answer TEXT NOT NULL,         -- the answer of GET /api/v1/stories, as JSON
  PRIMARY KEY (project_id, min_severity, span, range_to)
)`, `CREATE TABLE IF NOT EXISTS story_windows (
  project_id INTEGER NOT NULL,
  min_severity TEXT NOT NULL,
  span INTEGER NOT NULL,     -- µs: the length of a window that ends now
  asked_at INTEGER NOT NULL, -- µs, by the database's clock: its last request on any node
  PRIMARY KEY (project_id, min_severity, span)
)`)
	}},
	{12, "erasures: persons erased on one node, for every node's own state", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS erasures (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  project_id INTEGER NOT NULL,
  user_id TEXT NOT NULL,
  ids TEXT NOT NULL,          -- {"anonymous_ids": [...], "sessions": [...]}: what their events named
  erased_at INTEGER NOT NULL  -- µs, by the database's clock
)`, `CREATE INDEX IF NOT EXISTS erasures_erased ON erasures (erased_at)`)
	}},
	{13, "erasure requests: every writer loads what it acknowledged before a person is erased", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS erasure_requests (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  requested_at INTEGER NOT NULL -- µs, by the database's clock
)`, `CREATE TABLE IF NOT EXISTS erasure_flushes (
  request_id INTEGER NOT NULL,
  holder TEXT NOT NULL,         -- the writer lease's holder that loaded what it acknowledged before
  PRIMARY KEY (request_id, holder)
)`)
	}},
	{14, "monitors say when their value is an estimate from sampled events", func(ctx context.Context, m migrator) error {
		for _, c := range []struct{ table, name string }{
			{"monitors", "approximate"}, {"monitors", "sampled"},
			{"monitor_series", "approximate"}, {"monitor_series", "sampled"},
			{"monitor_events", "approximate"},
		} {
			if err := m.addColumn(ctx, c.table, c.name, "INTEGER NOT NULL DEFAULT 0"); err != nil {
				return err
			}
		}
		return nil
	}},
	{15, "a notification names the history change it notifies, whose note says when it failed", func(ctx context.Context, m migrator) error {
		return m.addColumn(ctx, "notifications", "event_id", "INTEGER NOT NULL DEFAULT 0") // monitor_events.id; 0: none
	}},
	{16, "deleted projects: their ids are never reused, and the events store forgets them", func(ctx context.Context, m migrator) error {
		return m.exec(ctx, `CREATE TABLE IF NOT EXISTS deleted_projects (
  project_id INTEGER NOT NULL PRIMARY KEY, -- the deleted project's id (not an identity: ids are given)
  name TEXT NOT NULL,
  deleted_at INTEGER NOT NULL,            -- µs
  events_deleted_at INTEGER NOT NULL DEFAULT 0 -- µs: when a shared events store lost its events; 0: still to do
)`)
	}},
}

// migrate brings the schema to the last migration, each step in its own
// transaction with its version; on PostgreSQL an advisory lock makes nodes
// that start together take turns.
//
// SQLite's busy_timeout does not cover every wait: a connection that finds
// a new file still in rollback mode while another process turns it to WAL
// (or holds the write lock it would deadlock on) gets SQLITE_BUSY at once.
// Nodes opening one new file together then try the step again, for up to
// about ten seconds.
func (s *Store) migrate(ctx context.Context) error {
	for _, mg := range migrations {
		wait := 10 * time.Millisecond
		for deadline := time.Now().Add(10 * time.Second); ; wait = min(2*wait, time.Second) {
			err := s.migrateTo(ctx, mg)
			if err == nil {
				break
			}
			if !isSQLiteBusy(err) || time.Now().After(deadline) {
				return err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("migrate metadata to version %d: %w", mg.version, ctx.Err())
			case <-time.After(wait):
			}
		}
	}
	return nil
}

// isSQLiteBusy reports whether err is SQLite's SQLITE_BUSY (any extended code).
func isSQLiteBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == 5
}

func (s *Store) migrateTo(ctx context.Context, mg migration) error {
	t, err := s.db.BeginTx(ctx, s.db.e.lockedTxOptions())
	if err != nil {
		return fmt.Errorf("migrate metadata to version %d: %w", mg.version, err)
	}
	defer t.Rollback()
	if err := s.db.e.lockSchema(ctx, t); err != nil {
		return err
	}
	v, err := s.db.e.version(ctx, t)
	if err != nil {
		return fmt.Errorf("read metadata version: %w", err)
	}
	if v >= mg.version {
		return nil
	}
	if err := mg.up(ctx, migrator{tx: t, e: s.db.e}); err != nil {
		return fmt.Errorf("migrate metadata to version %d (%s): %w", mg.version, mg.what, err)
	}
	if err := s.db.e.setVersion(ctx, t, mg.version); err != nil {
		return err
	}
	if err := t.Commit(); err != nil {
		return fmt.Errorf("migrate metadata to version %d: %w", mg.version, err)
	}
	return nil
}

// The features used to create their own tables when they opened; Open now
// applies the whole migration set. These remain for their callers and only
// make sure it is applied (nothing to do after Open).

// MigrateIssues makes sure the issue tables exist.
func (s *Store) MigrateIssues(ctx context.Context) error { return s.migrate(ctx) }

// MigrateMonitors makes sure the monitor, channel, outbox and check tables exist.
func (s *Store) MigrateMonitors(ctx context.Context) error { return s.migrate(ctx) }

// MigrateChannels makes sure the channel and outbox tables exist.
func (s *Store) MigrateChannels(ctx context.Context) error { return s.migrate(ctx) }

// MigrateChecks makes sure the checks table exists.
func (s *Store) MigrateChecks(ctx context.Context) error { return s.migrate(ctx) }

// MigrateDashboards makes sure the dashboard and saved-search tables exist.
func (s *Store) MigrateDashboards(ctx context.Context) error { return s.migrate(ctx) }

// MigrateSettings makes sure the project settings table exists.
func (s *Store) MigrateSettings(ctx context.Context) error { return s.migrate(ctx) }

// MigrateCapture makes sure the capture settings table exists.
func (s *Store) MigrateCapture(ctx context.Context) error { return s.migrate(ctx) }

// MigrateSourceMaps makes sure the source map table exists.
func (s *Store) MigrateSourceMaps(ctx context.Context) error { return s.migrate(ctx) }
