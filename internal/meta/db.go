package meta

import (
	"context"
	"database/sql"
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

// BeginTx starts a transaction.
func (d *db) BeginTx(ctx context.Context, opts *sql.TxOptions) (*tx, error) {
	t, err := d.sql.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	return &tx{tx: t, e: d.e}, nil
}

// Close closes the database.
func (d *db) Close() error { return d.sql.Close() }

// tx is a transaction of db, spelling its queries the same way.
type tx struct {
	tx *sql.Tx
	e  engine
}

func (t *tx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(ctx, t.e.bind(q), t.e.args(args)...)
}

func (t *tx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(ctx, t.e.bind(q), t.e.args(args)...)
}

func (t *tx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(ctx, t.e.bind(q), t.e.args(args)...)
}

// Commit commits the transaction.
func (t *tx) Commit() error { return t.tx.Commit() }

// Rollback abandons the transaction.
func (t *tx) Rollback() error { return t.tx.Rollback() }

var (
	_ execer = (*db)(nil)
	_ execer = (*tx)(nil)
)
