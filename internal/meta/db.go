package meta

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
)

// db is the metadata database with its engine: every query goes through
// it, written once with ? parameters and spelled for the engine here.
type db struct {
	sql *sql.DB
	e   engine
}

// execer is what both db and tx run statements with.
type execer interface {
	ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error)
}

func (d *db) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.sql.ExecContext(ctx, d.e.bind(q), d.e.args(args)...)
}

func (d *db) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.sql.QueryContext(ctx, d.e.bind(q), d.e.args(args)...)
}

func (d *db) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return d.sql.QueryRowContext(ctx, d.e.bind(q), d.e.args(args)...)
}

// BeginTx starts a transaction. On PostgreSQL it is SERIALIZABLE unless
// opts says otherwise, as SQLite's (one writer at a time) are: code that
// reads, decides and writes in a transaction stays correct with several
// nodes writing, a conflict failing the transaction (see inTx) instead of
// losing an update.
func (d *db) BeginTx(ctx context.Context, opts *sql.TxOptions) (*txn, error) {
	if d.e == postgresEngine && opts == nil {
		opts = &sql.TxOptions{Isolation: sql.LevelSerializable}
	}
	t, err := d.sql.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &txn{tx: t, e: d.e}, nil
}

// Close closes the database.
func (d *db) Close() error { return d.sql.Close() }

// Shared reports whether several nodes may share this metadata database
// (PostgreSQL), so that work meant to run once across them runs under a
// lease (RunExclusive); an SQLite file belongs to one node, which runs
// that work itself.
func (s *Store) Shared() bool { return s.db.e == postgresEngine }

// txn is a transaction of db, spelling its queries the same way.
type txn struct {
	tx *sql.Tx
	e  engine
}

func (t *txn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.e.bind(q), t.e.args(args)...)
}

func (t *txn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.e.bind(q), t.e.args(args)...)
}

func (t *txn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.e.bind(q), t.e.args(args)...)
}

// Commit commits the transaction.
func (t *txn) Commit() error { return t.tx.Commit() }

// Rollback abandons the transaction.
func (t *txn) Rollback() error { return t.tx.Rollback() }

var (
	_ execer = (*db)(nil)
	_ execer = (*txn)(nil)
)

// maxTxAttempts bounds how often inTx runs a transaction that conflicts.
const maxTxAttempts = 20

// inTx runs f in a transaction and commits it, again when PostgreSQL
// refuses it for a conflict with another transaction (see retry); f must
// not have effects outside the transaction.
func (s *Store) inTx(ctx context.Context, f func(t *txn) error) error {
	return s.retry(ctx, func() error { return s.tryTx(ctx, f) })
}

// retry runs attempt, one whole transaction, again after a short random
// pause when PostgreSQL refused it for a conflict with another (a
// serialization failure or a deadlock: SERIALIZABLE transactions of
// several nodes, or of one node's several connections), up to
// maxTxAttempts times. SQLite transactions wait for each other instead.
func (s *Store) retry(ctx context.Context, attempt func() error) error {
	for n := 1; ; n++ {
		err := attempt()
		if err == nil || !isConflict(err) || n == maxTxAttempts {
			return err
		}
		pause := time.Duration(1+rand.IntN(5*n)) * time.Millisecond
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(pause):
		}
	}
}

func (s *Store) tryTx(ctx context.Context, f func(t *txn) error) error {
	t, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer t.Rollback()
	if err := f(t); err != nil {
		return err
	}
	return t.Commit()
}

// isConflict reports whether err is PostgreSQL refusing a transaction for
// a conflict with another one, which succeeds when run again.
func isConflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == "40001" || pe.Code == "40P01") // serialization_failure, deadlock_detected
}
