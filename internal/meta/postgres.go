package meta

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// isPostgres reports whether where names a PostgreSQL database rather
// than an SQLite file.
func isPostgres(where string) bool {
	return strings.HasPrefix(where, "postgres://") || strings.HasPrefix(where, "postgresql://")
}

// pgConns bounds the connections one Lore node holds to PostgreSQL: a few
// writers at once (the outbox, monitors, issue observations) and the API's
// reads; several nodes share one server's max_connections (100 by default).
const pgConns = 8

// openPostgres connects to the PostgreSQL database named by url through
// pgx's database/sql driver and checks that it answers.
func openPostgres(ctx context.Context, u string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(u)
	if err != nil {
		return nil, fmt.Errorf("metadata url %q: %w", redact(u), err)
	}
	d := stdlib.OpenDB(*cfg)
	d.SetMaxOpenConns(pgConns)
	d.SetMaxIdleConns(pgConns)
	d.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	if err := d.PingContext(pctx); err != nil {
		d.Close()
		return nil, fmt.Errorf("connect to metadata database %q: %w", redact(u), err)
	}
	return d, nil
}

// redact hides a URL's password, for messages.
func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "postgres://…"
	}
	return p.Redacted()
}
