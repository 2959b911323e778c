package duckdb

import (
	"bytes"
	"context"
	"database/sql"
	"math/big"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// Every statement the store runs goes through sqlDB, sqlTx or sqlConn, which bind
// their arguments with bindArgs: the one place where what DuckDB cannot
// take is made storable. A string that is not valid UTF-8 aborts the whole
// process inside DuckDB ("Invalid unicode"), so no string may reach it
// unchecked — not only the events' columns (the Appender path packs them
// through event.ValidText too) but every side table: field catalogue,
// rollups, block filters, identities.

// bindArgs rewrites args in place for DuckDB: strings and string lists
// become valid UTF-8 without NUL (event.ValidText), and a uint64 with its
// high bit set (half of all trace and span ids), which database/sql's
// default converter refuses, travels as a *big.Int that DuckDB casts to
// the parameter's UBIGINT. A []byte is bound from a copy of its own: the
// binding hands C a pointer to its first byte, and when the slice is a
// window into a larger Go object that holds pointers (the field catalogue's
// sketch lives in a struct beside its examples' strings) the runtime's cgo
// check panics ("Go pointer to unpinned Go pointer") since DuckDB 1.5.
func bindArgs(args []any) []any {
	for i, a := range args {
		switch v := a.(type) {
		case []byte:
			args[i] = bytes.Clone(v)
		case string:
			args[i] = event.ValidText(v)
		case []string:
			args[i] = validTexts(v)
		case uint64:
			if v>>63 != 0 {
				args[i] = new(big.Int).SetUint64(v)
			}
		}
	}
	return args
}

// validTexts is ss with every string made valid; ss itself when all are.
func validTexts(ss []string) []string {
	for i, s := range ss {
		if event.ValidText(s) != s {
			out := make([]string, len(ss))
			copy(out, ss[:i])
			for j := i; j < len(ss); j++ {
				out[j] = event.ValidText(ss[j])
			}
			return out
		}
	}
	return ss
}

// sqlDB is the connection pool; its statements bind through bindArgs, and
// its queries run under a deadline.
type sqlDB struct {
	*sql.DB
	// timeout is the deadline given to a query whose context has none
	// (a request's context has the server's; background work may not).
	// When a context ends, duckdb-go interrupts the query in DuckDB.
	timeout time.Duration
}

func (d sqlDB) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.DB.ExecContext(ctx, q, bindArgs(args)...)
}

func (d sqlDB) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return d.DB.QueryContext(d.bounded(ctx), q, bindArgs(args)...)
}

func (d sqlDB) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return d.DB.QueryRowContext(d.bounded(ctx), q, bindArgs(args)...)
}

// bounded is ctx with the store's query deadline unless it has one.
func (d sqlDB) bounded(ctx context.Context) context.Context {
	if _, ok := ctx.Deadline(); ok || d.timeout <= 0 {
		return ctx
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	// Not canceled on return: the rows outlive this call. The context is
	// released when its deadline passes.
	_ = cancel
	return ctx
}

// BeginTx starts a transaction whose statements bind through bindArgs.
func (d sqlDB) BeginTx(ctx context.Context, opts *sql.TxOptions) (sqlTx, error) {
	t, err := d.DB.BeginTx(ctx, opts)
	return sqlTx{t}, err
}

// Conn takes one connection whose statements bind through bindArgs.
func (d sqlDB) Conn(ctx context.Context) (sqlConn, error) {
	c, err := d.DB.Conn(ctx)
	return sqlConn{c}, err
}

// sqlTx is a transaction; its statements bind through bindArgs.
type sqlTx struct{ *sql.Tx }

func (t sqlTx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return t.Tx.ExecContext(ctx, q, bindArgs(args)...)
}

func (t sqlTx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return t.Tx.QueryContext(ctx, q, bindArgs(args)...)
}

func (t sqlTx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return t.Tx.QueryRowContext(ctx, q, bindArgs(args)...)
}

// sqlConn is one pooled connection; its statements bind through bindArgs.
type sqlConn struct{ *sql.Conn }

func (c sqlConn) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return c.Conn.ExecContext(ctx, q, bindArgs(args)...)
}

func (c sqlConn) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	return c.Conn.QueryContext(ctx, q, bindArgs(args)...)
}

func (c sqlConn) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return c.Conn.QueryRowContext(ctx, q, bindArgs(args)...)
}
