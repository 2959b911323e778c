package clickhouse

import (
	"context"
	"fmt"
	"strconv"

	"github.com/lore-dev/lore/internal/sqlq"
)

// migration is one version of the schema: statements that bring the
// previous version to it. Each is idempotent (IF NOT EXISTS, or a step
// with a check that it is done), since ClickHouse runs one statement a
// request and a crash may come between a migration's statements and its
// record.
type migration struct {
	version int
	name    string
	stmts   []string
	steps   []step // after stmts
	// backfill, after steps, fills what they created from the rows
	// already stored: work of many statements, idempotent too, since it
	// runs again when a crash came before the migration's record.
	backfill func(context.Context, *Store) error
}

// step adds a column to a table unless it is there: ADD COLUMN cannot
// say IF NOT EXISTS on every release (18.16), so done, a query whose
// count is not 0 once it has run, is asked first. On a cluster it runs
// on each shard's local table of a sharded table, then on the
// Distributed table.
type step struct {
	table, column, spec string
}

func (st step) sql(table string) string {
	return "ALTER TABLE " + table + " ADD COLUMN " + st.column + " " + st.spec
}

func (st step) done(table string) string {
	return "SELECT count() FROM system.columns WHERE database = currentDatabase() AND table = " + quote(table) + " AND name = " + quote(st.column)
}

// addColumn adds a column to events unless it is there.
func addColumn(name, spec string) step { return addTableColumn("events", name, spec) }

// addTableColumn adds a column to table unless it is there.
func addTableColumn(table, name, spec string) step { return step{table, name, spec} }

// migrations is the schema's history, oldest first. Never edit a
// migration that has shipped: add one.
func migrations() []migration {
	return []migration{
		{1, "events", []string{
			// The DuckDB store's columns and meanings (the analyses' SQL
			// reads these names), and seq: the batch that wrote the row.
			// Partitioned by UTC day (retention drops whole partitions),
			// sorted by project and time (every read names both).
			`CREATE TABLE IF NOT EXISTS events (
	project_id Int32,
	ts Int64,
	received_at Int64,
	kind String,
	level String,
	service String,
	env String,
	release String,
	host String,
	trace_hi UInt64,
	trace_lo UInt64,
	span_id UInt64,
	parent_span_id UInt64,
	user_id String,
	anonymous_id String,
	session_id String,
	request_id String,
	name String,
	message String,
	http_method String,
	endpoint String,
	http_status Nullable(Int16),
	duration_ms Nullable(Float64),
	error_type String,
	error_code String,
	fingerprint String,
	retry_attempt Nullable(Int16),
	attr_keys Array(String),
	attr_values Array(String),
	seq UInt64
) ENGINE = MergeTree() PARTITION BY intDiv(ts, 86400000000) ORDER BY (project_id, ts)`,
		}, nil, nil},
		{2, "batches", []string{
			// One row a committed batch, written after its rows.
			`CREATE TABLE IF NOT EXISTS batches (
	seq UInt64,
	events UInt64,
	committed_at DateTime
) ENGINE = MergeTree() ORDER BY seq`,
		}, nil, nil},
		{3, "idents", []string{
			// The (anonymous id, user id) pairs seen together: the person
			// map of product analytics and user journeys. A set: a pair
			// written twice (a replayed batch) is merged away in time, and
			// every reader groups or takes distinct values anyway.
			`CREATE TABLE IF NOT EXISTS idents (
	project_id Int32,
	anonymous_id String,
	user_id String
) ENGINE = ReplacingMergeTree() ORDER BY (project_id, anonymous_id, user_id)`,
		}, nil, nil},
		{4, "arrival order", nil, []step{
			// A row's place in its batch: with seq, its arrival order
			// (sqlq.ClickHouse.RowOrder), which breaks ties of equal
			// times as DuckDB's rowid does.
			addColumn("seq_row", "UInt32 AFTER seq"),
		}, nil},
		{5, "field catalogue", []string{
			// The data dictionary's rows (fields.go): appended at each
			// flush; internal/analysis/fieldstats adds up the rows of a
			// key when it reads them.
			`CREATE TABLE IF NOT EXISTS field_seen (
	project_id Int32,
	hour Int64,
	field String,
	type String,
	service String,
	count Int64,
	first_ts Int64,
	last_ts Int64
) ENGINE = MergeTree() ORDER BY (project_id, hour, field)`,
			`CREATE TABLE IF NOT EXISTS field_values (
	project_id Int32,
	day Int64,
	field String,
	sketch String,
	examples Array(String)
) ENGINE = MergeTree() ORDER BY (project_id, day, field)`,
		}, nil, nil},
		{6, "writers", nil, []step{
			// The number of the writer (writers.go) that appended the row
			// and recorded the batch: a batch is its writer's and its seq,
			// and a writer recovers only its own. The rows and records of
			// a database older than this are the default writer's, 0.
			addColumn("writer", "UInt8 DEFAULT 0 AFTER seq_row"),
			addTableColumn("batches", "writer", "UInt8 DEFAULT 0"),
		}, nil},
		idRangesMigration(7),
		rollupMigration(8),
	}
}

// migrate applies, in order, each migration the database has not
// recorded, and records it. A database recorded at a version newer than
// this build knows is refused (an older Lore must not write to it).
func (s *Store) migrate(ctx context.Context, migs []migration) error {
	// On a replicated cluster the CREATE runs on every server, so it
	// is sent only when the table is missing: a database at the latest
	// version opens while a replica is down.
	exists := int64(0)
	if s.replicated {
		if err := s.queryOne(ctx, s.db, "SELECT count() FROM system.tables WHERE database = currentDatabase() AND name = 'schema_migrations'", &exists); err != nil {
			return fmt.Errorf("clickhouse migrations: %w", err)
		}
	}
	if exists == 0 {
		if err := s.createTables(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
	version UInt32,
	name String,
	applied_at DateTime
) ENGINE = MergeTree() ORDER BY version`); err != nil {
			return fmt.Errorf("clickhouse migrations: %w", err)
		}
	}
	applied := map[int]bool{}
	highest := 0
	err := s.each(ctx, s.db, "SELECT DISTINCT version FROM schema_migrations", func(r *rows) error {
		var v int64
		if err := r.Scan(&v); err != nil {
			return err
		}
		applied[int(v)] = true
		highest = max(highest, int(v))
		return nil
	})
	if err != nil {
		return fmt.Errorf("clickhouse migrations: read the applied versions: %w", err)
	}
	if latest := migs[len(migs)-1].version; highest > latest {
		return fmt.Errorf("clickhouse migrations: database %s is at schema version %d, newer than this build's %d: upgrade Lore", s.db, highest, latest)
	}
	for _, m := range migs {
		if applied[m.version] {
			continue
		}
		for _, stmt := range m.stmts {
			if err := s.createTables(ctx, stmt); err != nil {
				return fmt.Errorf("clickhouse migration %d (%s): %w", m.version, m.name, err)
			}
		}
		for _, st := range m.steps {
			for _, t := range s.alterTargets(st.table) {
				if err := t.s.addColumn(ctx, st, t.table); err != nil {
					return fmt.Errorf("clickhouse migration %d (%s): %w", m.version, m.name, err)
				}
			}
		}
		if m.backfill != nil {
			if err := m.backfill(ctx, s); err != nil {
				return fmt.Errorf("clickhouse migration %d (%s): %w", m.version, m.name, err)
			}
		}
		rec := "INSERT INTO schema_migrations VALUES (" + strconv.Itoa(m.version) + ", " + quote(m.name) + ", now())"
		if err := s.exec(ctx, s.db, rec); err != nil {
			return fmt.Errorf("clickhouse migration %d (%s): record it: %w", m.version, m.name, err)
		}
		s.log.Info("clickhouse migration applied", "version", m.version, "name", m.name)
	}
	return nil
}

// addColumn runs st on table unless it has run.
func (s *Store) addColumn(ctx context.Context, st step, table string) error {
	if n, err := s.count(ctx, st.done(table)); err != nil || n > 0 {
		return err
	}
	if err := s.exec(ctx, s.db, st.sql(table)); err != nil {
		// Another node opening the database at once may have run it
		// first.
		if n, derr := s.count(ctx, st.done(table)); derr != nil || n == 0 {
			return err
		}
	}
	return nil
}

// count runs a query of one count.
func (s *Store) count(ctx context.Context, sql string) (int64, error) {
	var n int64
	err := s.queryOne(ctx, s.db, sql, &n)
	return n, err
}

// quote spells a constant string literal.
func quote(s string) string { return sqlq.ClickHouse{}.Str(s) }
