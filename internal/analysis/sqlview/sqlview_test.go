package sqlview_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/analysis/sqlview"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixMicro()

const sec = int64(1_000_000)

// secret is in every row no caller of project 1 may read: project 2's,
// and project 1's outside the range.
const secret = "Zq9xSECRET"

// events: 200 of project 1 in the range (one every 15 s from t0), one of
// project 1 before it, and project 2's rows at the same times.
func events() []event.Event {
	var evs []event.Event
	for i := range 200 {
		status := int32(200)
		if i%4 == 0 {
			status = 429
		}
		evs = append(evs, event.Event{ProjectID: 1, TS: t0 + int64(i)*15*sec, Kind: "log", Level: "info",
			Service: "payment-service", Endpoint: []string{"/pay", "/cart"}[i%2], HTTPStatus: status,
			DurationMS: float64(i), UserID: fmt.Sprintf("u%d", i%5), SessionID: fmt.Sprintf("s%d", i%9),
			Message: "payment_gateway_retry", Attributes: []event.Attr{{Key: "http.route", Value: "/r"}}})
		evs = append(evs, event.Event{ProjectID: 2, TS: t0 + int64(i)*15*sec, Kind: "log", Service: secret, Message: secret, UserID: secret})
	}
	evs = append(evs, event.Event{ProjectID: 1, TS: t0 - 3600*sec, Kind: "log", Service: secret, Message: secret})
	// Project 3: the largest values ingest keeps (64 KiB a string), made
	// to be the worst haystacks: a run of one letter, and of %.
	long, pct := strings.Repeat("a", 64<<10-1)+"b", strings.Repeat("%a", 32<<10)
	var attrs []event.Attr
	for i := range 256 {
		attrs = append(attrs, event.Attr{Key: fmt.Sprintf("k%03d", i), Value: long[:256]})
	}
	for i := range hostileRows {
		evs = append(evs, event.Event{ProjectID: 3, TS: t0 + int64(i)*sec, Kind: "log", Service: pct, Message: long,
			Endpoint: long, UserID: pct, Attributes: attrs})
	}
	return evs
}

// hostileRows are project 3's rows of 64 KiB strings.
const hostileRows = 100

var shared store.Store

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lore-sqlview-")
	if err != nil {
		panic(err)
	}
	s, err := duckdb.Open(context.Background(), dir, duckdb.Options{}, nil)
	if err != nil {
		panic(err)
	}
	if err := s.Append(context.Background(), store.Batch{Seq: 1, Events: events()}); err != nil {
		panic(err)
	}
	shared = s
	code := m.Run()
	s.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func query(text string) sqlview.Query {
	return sqlview.Query{SQL: text, ProjectID: 1, From: t0, To: t0 + 7200*sec}
}

func run(t *testing.T, text string) sqlview.Result {
	t.Helper()
	res, err := query(text).Run(context.Background(), shared.(*duckdb.Store))
	if err != nil {
		t.Fatalf("Run(%q): %v", text, err)
	}
	for _, row := range res.Rows {
		if strings.Contains(fmt.Sprint(row...), secret) {
			t.Fatalf("Run(%q) read a row it must not: %v", text, row)
		}
	}
	return res
}

func TestSelectOverTheView(t *testing.T) {
	res := run(t, `SELECT count(*) AS n, count(DISTINCT session_id) AS sessions FROM events`)
	if fmt.Sprint(res.Rows) != "[[200 9]]" || res.Columns[0].Name != "n" || res.Columns[0].Type != pipes.Number {
		t.Fatalf("count: %+v %v", res.Columns, res.Rows)
	}
	// The seed's questions: 429s by hour; p95 by endpoint for 429s.
	res = run(t, `SELECT date_trunc('hour', ts) AS hour, count(*) AS n FROM events
		WHERE message = 'payment_gateway_retry' AND http_status = 429 AND hour(ts) BETWEEN 9 AND 10 GROUP BY 1 ORDER BY 1`)
	if len(res.Rows) != 1 || res.Columns[0].Type != pipes.Time || res.Rows[0][0] != t0 || res.Rows[0][1] != int64(50) {
		t.Fatalf("by hour: %+v %v", res.Columns, res.Rows)
	}
	res = run(t, `SELECT endpoint, round(quantile_cont(duration_ms, 0.95), 2) AS p95 FROM events WHERE http_status = 429 GROUP BY ALL ORDER BY endpoint`)
	// 429s are i%4==0, all on /pay (even i); durations 4,8,…,196 (0 is none) → p95 = 186.4
	if fmt.Sprint(res.Rows) != "[[/pay 186.4]]" {
		t.Fatalf("p95: %v", res.Rows)
	}
	res = run(t, `WITH u AS (SELECT user_id, count(*) FILTER (WHERE http_status >= 400) AS failed FROM events GROUP BY 1)
		SELECT user_id, failed FROM u ORDER BY failed DESC, user_id LIMIT 2`)
	if fmt.Sprint(res.Rows) != "[[u0 10] [u1 10]]" {
		t.Fatalf("top users: %v", res.Rows)
	}
	res = run(t, `SELECT attributes['http.route'] AS route, attr_keys, trace_id FROM events LIMIT 1`)
	if res.Columns[1].Type != sqlview.JSON || fmt.Sprint(res.Rows[0]) != "[/r [http.route] ]" {
		t.Fatalf("attributes: %+v %v", res.Columns, res.Rows)
	}
	// A subquery, a union and a join all read the view.
	run(t, `SELECT a.user_id FROM events a JOIN events b USING (request_id) WHERE a.ts IN (SELECT max(ts) FROM events) UNION ALL SELECT b.user_id FROM events b, events a LIMIT 3`)
}

// TestHostileSQL: every text that reaches beyond the caller's rows or
// the engine's read-only SELECT is refused with why.
func TestHostileSQL(t *testing.T) {
	cases := map[string]string{
		`SELECT * FROM main.events`:                                    "qualified name",
		`SELECT * FROM lore.main.events`:                               "qualified name",
		`SELECT * FROM blocks`:                                         `table "blocks" is not allowed`,
		`SELECT * FROM idents`:                                         `table "idents" is not allowed`,
		`SELECT * FROM events e, ingest_state`:                         `table "ingest_state" is not allowed`,
		`SELECT * FROM read_csv('/etc/passwd')`:                        "table functions",
		`SELECT * FROM read_parquet('/tmp/*.parquet')`:                 "table functions",
		`SELECT * FROM glob('/*')`:                                     "table functions",
		`SELECT * FROM query_table('events')`:                          "table functions",
		`SELECT * FROM query('SELECT 1')`:                              "table functions",
		`SELECT * FROM duckdb_tables()`:                                "table functions",
		`SELECT * FROM '/etc/passwd'`:                                  `table "/etc/passwd" is not allowed`,
		`SELECT * FROM events WHERE ts > (SELECT max(ts) FROM blocks)`: `table "blocks"`,
		`PRAGMA database_list`:                                         "only a SELECT",
		`ATTACH '/tmp/x.db' AS x`:                                      "only a SELECT",
		`COPY events TO '/tmp/x.csv'`:                                  "only a SELECT",
		`INSTALL httpfs`:                                               "only a SELECT",
		`LOAD httpfs`:                                                  "only a SELECT",
		`SET enable_external_access = true`:                            "only a SELECT",
		`CALL pragma_version()`:                                        "only a SELECT",
		`EXPORT DATABASE '/tmp/x'`:                                     "only a SELECT",
		`DELETE FROM events`:                                           "only a SELECT",
		`SELECT 1; SELECT * FROM events`:                               "2 statements",
		`SELECT 1 FROM events; DROP TABLE events`:                      "only a SELECT",
		"SELECT 1 FROM events /* ; */ ; SELECT * FROM blocks":          "2 statements",
		"SELECT 1 FROM events -- \n; SELECT * FROM blocks":             "2 statements",
		`WITH events AS (SELECT * FROM events) SELECT * FROM events`:   "name events is Lore's",
		`WITH x AS (SELECT * FROM blocks) SELECT * FROM x`:             `table "blocks"`,
		`SELECT * FROM x`:                                              `table "x" is not allowed`,
		`SELECT current_setting('threads')`:                            "current_setting() is not allowed",
		`SELECT getenv('HOME')`:                                        "not allowed",
		`SELECT main.lower('a')`:                                       "qualified name",
		`SELECT * FROM events WHERE user_id = ?`:                       "parameters",
		`SELECT * FROM events WHERE user_id = $1`:                      "parameters",
		`SELECT nosuchfunction(1)`:                                     "nosuchfunction() is not allowed",
		`DESCRIBE events`:                                              "SHOW_REF",
		`SELECT * FROM events AT (VERSION => 1)`:                       "",
		``:                                                             "no SQL",
		`SELEC 1`:                                                      "syntax error",
		"SELECT 1\x00":                                                 "",
	}
	for text, want := range cases {
		_, err := query(text).Run(context.Background(), shared.(*duckdb.Store))
		if err == nil {
			t.Errorf("%q ran", text)
			continue
		}
		if !errs.Is(err, errs.Invalid) {
			t.Errorf("%q: not an invalid-input error: %v", text, err)
		}
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", text, err, want)
		}
	}
	// A syntax error says where.
	_, err := query("SELECT 1\nFROM events WHERE WHERE").Run(context.Background(), shared.(*duckdb.Store))
	var e *sqlview.Error
	if ee, ok := errs.As(err); ok {
		e, _ = ee.Detail.(*sqlview.Error)
	}
	if e == nil || e.Line != 2 {
		t.Fatalf("syntax error without its line: %v", err)
	}
}

// TestReasonSaidOnce: a refusal and an engine's error say their reason
// once, in the message a client reads and in the error a log prints.
func TestReasonSaidOnce(t *testing.T) {
	for text, reason := range map[string]string{
		"SELECT repeat('x', 5)":             "repeat() is not allowed",
		"DELETE FROM events":                "only a SELECT may run here",
		"SELECT 1\nFROM events WHERE WHERE": "syntax error",
		"SELECT nosuchcol FROM events":      `"nosuchcol" not found`,
	} {
		_, err := query(text).Run(context.Background(), shared.(*duckdb.Store))
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("%q: %v, want an invalid-input error", text, err)
		}
		for what, s := range map[string]string{"Error()": err.Error(), "the client's message": errs.Message(err)} {
			if n := strings.Count(s, reason); n != 1 {
				t.Errorf("%q: %s says %q %d times: %s", text, what, reason, n, s)
			}
		}
	}
}

// TestOutOfMemoryIsUnavailable: a text DuckDB cannot hold within the
// store's memory limit is a 503 to try later, naming --store-memory (as
// pipes answer), not a 413 or an internal error.
func TestOutOfMemoryIsUnavailable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := duckdb.Open(ctx, dir, duckdb.Options{MemoryLimit: "256MB"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	evs := make([]event.Event, 0, 200_000)
	for i := range cap(evs) {
		evs = append(evs, event.Event{ProjectID: 1, Kind: event.KindLog, Service: fmt.Sprint("svc-", i%500), TS: t0 + int64(i),
			UserID: fmt.Sprintf("user-%09d", i), DurationMS: float64(i)})
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if s, err = duckdb.Open(ctx, dir, duckdb.Options{MemoryLimit: "16MB", Threads: 1}, nil); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	_, err = sqlview.Query{SQL: "SELECT service, count(DISTINCT user_id), median(duration_ms), count(DISTINCT ts) FROM events GROUP BY service",
		ProjectID: 1, From: t0, To: t0 + 3600*sec}.Run(ctx, s)
	e, ok := errs.As(err)
	if !ok || e.Kind != errs.Unavailable || e.RetryAfter <= 0 || !strings.Contains(e.Msg, "--store-memory") {
		t.Fatalf("over the memory limit: %v, want an Unavailable error with Retry-After naming --store-memory", err)
	}
}

func TestLimitsAndDeadline(t *testing.T) {
	res := run(t, `SELECT a.ts, b.ts FROM events a, events b`) // 40,000 rows
	if len(res.Rows) != sqlview.MaxRows || !res.Truncated {
		t.Fatalf("%d rows, truncated %v", len(res.Rows), res.Truncated)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := query(`SELECT count(*) FROM events a, events b, events c, events d, events e`).Run(ctx, shared.(*duckdb.Store))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a slow query: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("the deadline stopped the query after %v", took)
	}
	if _, err := (sqlview.Query{SQL: "SELECT 1", ProjectID: 1, From: 5, To: 5}).Run(context.Background(), shared.(*duckdb.Store)); !errs.Is(err, errs.Invalid) {
		t.Fatalf("empty range: %v", err)
	}
}
