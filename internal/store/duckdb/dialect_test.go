package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq/duckfn"
)

// dialectRow is one event of the table TestDialectExecutes searches. Zero
// numbers are stored as NULL, as the store does.
type dialectRow struct {
	id                        string // stored in request_id
	kind, level, service, env string
	trace                     string // parsed like ingest does
	span                      string
	user, message             string
	method, endpoint          string
	status                    int
	duration                  float64
	retry                     int
	attrs                     [][2]string
}

var dialectRows = []dialectRow{
	{id: "r1", kind: "log", level: "error", service: "payment-service", env: "prod",
		trace: "4bf92f3577b34da6a3ce929d0e0e4736", span: "00f067aa0ba902b7", user: "u-1",
		message: "Payment failed: rate limited by gateway", method: "GET", endpoint: "/api/checkout",
		status: 503, duration: 1200, retry: 2,
		attrs: [][2]string{{"http.route", "/api/pay"}, {"cart.items", "3"}, {"user.plan", "pro"}}},
	{id: "r2", kind: "span", level: "info", service: "web", env: "staging",
		trace: "4bf92f3577b34da6ffffffffffffffff", span: "ffffffffffffff01", user: "u-2",
		message: "GET /api/cart 200 in 12ms, retrying 5 requestsXnow", method: "POST", endpoint: "/api/100abcoff",
		status: 200, duration: 12,
		attrs: [][2]string{{"cart.items", "many"}, {"discount", "100%_off"}}},
	{id: "r3", kind: "log", level: "warn", service: "payment-gateway",
		message: "retrying 50% of requests_now", endpoint: "/api/100%_off"},
	{id: "r4", kind: "error", level: "error", service: "checkout", env: "prod",
		trace: "0af7651916cd43dd8448eb211c80319c", span: "b7ad6b7169203331",
		message: "Connection RESET by peer; '; DROP TABLE events; --", status: 500, duration: 250.5,
		attrs: [][2]string{{"user.plan", "free"}, {"cart.items", "1.5"}, {"weird key's", "x"}, {"discount", "100xyzoff"}}},
	{id: "r5", kind: "event", service: "web", trace: "req-123", user: "u-2"},
}

// TestDialectExecutes runs compiled queries on a real in-memory DuckDB and
// checks which events match: this is what proves the SQL right.
func TestDialectExecutes(t *testing.T) {
	db := openDialectDB(t)
	all := []string{"r1", "r2", "r3", "r4", "r5"}
	f := func(q string, want ...string) {
		t.Helper()
		got, err := matchIDs(db, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			return
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s matched %v, want %v", q, got, want)
		}
	}

	f(``, all...)

	// Words and phrases: case-insensitive substrings of message.
	f(`rate limited`, "r1")
	f(`"RATE LIMITED"`, "r1")
	f(`"limited by"`, "r1")
	f(`reset`, "r4")
	f(`pay*gate`, "r1")
	f(`retrying*requests_now`, "r3") // '_' is literal: r2 has requestsXnow
	f(`50%`, "r3")
	f(`"50% of"`, "r3")
	f(`"'; DROP TABLE events; --"`, "r4")
	f(`nothing-matches-this`)
	f(`message:*`, "r1", "r2", "r3", "r4")
	f(`-message:*`, "r5")
	f(`msg:"rate limited"`, "r1")

	// Core string columns, aliases, normalized values.
	f(`level:ERR`, "r1", "r4")
	f(`level:warning`, "r3")
	f(`level:(error OR warn)`, "r1", "r3", "r4")
	f(`-level:*`, "r5")
	f(`kind:EVENT`, "r5")
	f(`service:payment-service`, "r1")
	f(`svc:payment*`, "r1", "r3")
	f(`service:*pay*`, "r1", "r3")
	f(`service:*-*`, "r1", "r3")
	f(`method:get`, "r1")
	f(`user:u-2`, "r2", "r5")
	f(`-env:staging`, "r1", "r3", "r4", "r5")
	f(`env:""`, "r3", "r5")
	f(`env:*`, "r1", "r2", "r4")

	// LIKE wildcards in values are literal.
	f(`endpoint:/api/100%_*`, "r3")
	f(`path:*%*`, "r3")
	f(`path:*_*`, "r3")
	f(`endpoint:/api/100%_off`, "r3")
	f(`route:/api/*`, "r1", "r2", "r3")

	// Numbers: comparisons, NULLs under negation, durations, ranges.
	f(`http_status:500`, "r4")
	f(`-http_status:500`, "r1", "r2", "r3", "r5")
	f(`http_status:>=500`, "r1", "r4")
	f(`-http_status:>=500`, "r2", "r3", "r5")
	f(`NOT status:>=500`, "r2", "r3", "r5")
	f(`status:[200 TO 499]`, "r2")
	f(`status:{200 TO 503]`, "r1", "r4")
	f(`-status:[200 TO 499]`, "r1", "r3", "r4", "r5")
	f(`http_status:5*`, "r1", "r4")
	f(`http_status:*`, "r1", "r2", "r4")
	f(`-http_status:*`, "r3", "r5")
	f(`duration:>1s`, "r1")
	f(`duration_ms:>250`, "r1", "r4")
	f(`duration:<=250ms`, "r2")
	f(`duration_ms:250.5`, "r4")
	f(`-duration:>100`, "r2", "r3", "r5")
	f(`retry:>1`, "r1")
	f(`-retry:>1`, "r2", "r3", "r4", "r5")

	// Attributes: keys and values bound, numeric comparisons on strings.
	f(`user.plan:pro`, "r1")
	f(`-user.plan:pro`, "r2", "r3", "r4", "r5")
	f(`user.plan:*`, "r1", "r4")
	f(`-user.plan:*`, "r2", "r3", "r5")
	f(`user.plan:""`, "r2", "r3", "r5")
	f(`cart.items:>2`, "r1")
	f(`cart.items:<2`, "r4")
	f(`cart.items:[1 TO 3]`, "r1", "r4")
	f(`-cart.items:>2`, "r2", "r3", "r4", "r5")
	f(`cart.items:many`, "r2")
	f(`discount:100%_*`, "r2")
	f(`discount:*off`, "r2", "r4")
	f(`http.route:/api/p*`, "r1")
	f(`weird\ key's:x`, "r4")
	f(`no.such.key:x`)
	f(`-no.such.key:x`, all...)

	// Trace and span ids.
	f(`trace_id:4bf92f3577b34da6a3ce929d0e0e4736`, "r1")
	f(`trace:4BF92F35-77B3-4DA6-A3CE-929D0E0E4736`, "r1")
	f(`trace_id:4bf92f35*`, "r1", "r2")
	f(`trace_id:4bf92f3577b34da6*`, "r1", "r2")
	f(`trace_id:4bf92f3577b34da6a3*`, "r1")
	f(`trace_id:4bf92f3577b34da6f*`, "r2")
	f(`trace_id:4bf92f3577b34da6ffffffffffffffff*`, "r2")
	f(`-trace_id:4bf9*`, "r3", "r4", "r5")
	f(`trace_id:req-123`, "r5")
	f(`trace_id:*`, "r1", "r2", "r4", "r5")
	f(`-trace_id:*`, "r3")
	f(`span_id:00f067aa0ba902b7`, "r1")
	f(`span_id:00f0*`, "r1")
	f(`span_id:ffff*`, "r2")
	f(`span_id:FFFFFFFFFFFFFF01`, "r2")
	f(`span_id:*`, "r1", "r2", "r4")

	// Boolean structure.
	f(`service:web OR level:warn`, "r2", "r3", "r5")
	f(`-(service:web OR level:warn)`, "r1", "r4")
	f(`NOT level:error service:web`, "r2", "r5")
	f(`level:error AND (status:503 OR reset)`, "r1", "r4")
	f(`level:error -reset`, "r1")
	f(`(kind:log OR kind:span) -http_status:>=500 -env:staging`, "r3")
	f(`level:error service:payment-service http_status:>=500 "rate limited" -env:staging trace_id:4bf*`, "r1")

	// The table survived the injection attempts.
	if got, err := matchIDs(db, ``); err != nil || len(got) != len(all) {
		t.Fatalf("events table after injection attempts: %v, %v", got, err)
	}
}

// TestDialectLinearWildcards: values with several '*' compile to RE2
// expressions, linear in the value. As LIKE patterns these backtracked:
// 'a*a*a*b' against a line of 3,000 'a's took minutes, could not be
// interrupted, and held a core after its client left (issue 17).
func TestDialectLinearWildcards(t *testing.T) {
	db := openDialectDB(t,
		dialectRow{id: "a", kind: "log", service: "batch", message: strings.Repeat("a", 3000) + "\nsecond (line) " + strings.Repeat("a", 3000),
			attrs: [][2]string{{"job", "x.y*z\nq"}}},
		dialectRow{id: "b", kind: "log", service: "cart", message: strings.Repeat("a", 3000) + "b"})
	f := func(q string, want ...string) {
		t.Helper()
		got, err := matchIDs(db, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			return
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s matched %v, want %v", q, got, want)
		}
	}
	f(`a*a*a*b`, "b")
	f(`a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*z`)
	f(`a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c`, "a")
	f(`a*a*a*a*second*(LINE)*a`, "a") // across the newline; metacharacters are literal
	f(`job:x.y\**q`, "a")
	f(`job:x?y*`)
	f(`job:*.*z*q`, "a")
	f(`service:*a*c*`, "a")
	f(`service:*a*h`, "a")
	f(`service:c*r*`, "b")
	f(`-service:*a*h`, "b")
}

// TestDialectRunsFuzzCorpus executes every parseable query of the parser's
// fuzz corpus: all of them must be valid DuckDB SQL.
func TestDialectRunsFuzzCorpus(t *testing.T) {
	db := openDialectDB(t)
	files, err := filepath.Glob(filepath.Join("..", "..", "query", "testdata", "fuzz", "FuzzParse", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no fuzz corpus found in internal/query/testdata/fuzz/FuzzParse")
	}
	for _, file := range files {
		in := readFuzzString(t, file)
		if _, err := query.Parse(in); err != nil {
			continue // the parser's own tests cover errors
		}
		if _, err := matchIDs(db, in); err != nil {
			t.Errorf("%s: query %q: %v", filepath.Base(file), in, err)
		}
	}
}

// TestDialectKeepsValuesOutOfSQL checks that hostile values reach DuckDB only
// as arguments.
func TestDialectKeepsValuesOutOfSQL(t *testing.T) {
	db := openDialectDB(t)
	evil := `'; DROP TABLE events; --`
	for _, q := range []string{
		`"` + evil + `"`,
		`service:"` + evil + `"`,
		`service:"` + evil + `"*`,
		`user.plan:"` + evil + `"`,
		`\'\;\ DROP\ TABLE\ events\;\ --:x`,
		`trace_id:"` + evil + `"`,
		`-(level:"` + evil + `" OR msg:"` + evil + `")`,
	} {
		pq, err := query.Parse(q)
		if err != nil {
			t.Errorf("Parse(%q): %v", q, err)
			continue
		}
		sqlText, _, err := query.Compile(pq, Dialect{})
		if err != nil {
			t.Errorf("Compile(%q): %v", q, err)
			continue
		}
		for _, bad := range []string{"DROP", ";", "--", `'; `} {
			if strings.Contains(sqlText, bad) {
				t.Errorf("Compile(%q) put %q into the SQL: %s", q, bad, sqlText)
			}
		}
		if _, err := matchIDs(db, q); err != nil {
			t.Errorf("%s: %v", q, err)
		}
	}
	if got, err := matchIDs(db, ``); err != nil || len(got) != len(dialectRows) {
		t.Fatalf("events table after injection attempts: %v, %v", got, err)
	}
}

// TestDialectGolden pins the SQL the DuckDB dialect produces; regenerate
// with LORE_UPDATE_GOLDEN=1.
func TestDialectGolden(t *testing.T) {
	groups := map[string][]string{
		"text": {
			``, `timeout`, `"Rate Limited"`, `time*out`, `*`, `message:*`, `msg:"pool exhausted"`,
			`50%_off*`,
		},
		"fields": {
			`level:warning`, `kind:Span`, `service:pay*`, `service:*`, `env:""`, `method:get`,
			`endpoint:/api/100%_*`, `-env:staging`,
		},
		"numbers": {
			`http_status:500`, `-http_status:500`, `status:>=500`, `status:[500 TO 599]`,
			`status:{499 TO *]`, `http_status:5*`, `http_status:*`, `duration:>1.5s`, `retry:<=2.5`,
		},
		"attributes": {
			`user.plan:pro`, `user.plan:""`, `user.plan:*`, `http.route:/api/*`, `cart.items:>2`,
			`-cart.items:[1 TO 3]`,
		},
		"ids": {
			`trace_id:4bf92f3577b34da6a3ce929d0e0e4736`, `trace_id:a3ce929d0e0e4736`, `trace_id:req-123`,
			`trace_id:4bf9*`, `trace_id:4bf92f3577b34da6*`, `trace_id:4bf92f3577b34da6a3*`, `trace_id:*`,
			`span_id:00f067aa0ba902b7`, `parent_span_id:00f0*`, `span_id:*`,
		},
		"boolean": {
			`a b OR c`, `NOT a OR -(b c)`, `level:(error OR warn) -service:web`,
			`level:error service:payment-service http_status:>=500 "rate limited" -env:staging trace_id:abc*`,
		},
	}
	for name, queries := range groups {
		var b strings.Builder
		for _, in := range queries {
			q, err := query.Parse(in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", in, err)
			}
			where, args, err := query.Compile(q, Dialect{})
			if err != nil {
				t.Fatalf("Compile(%q): %v", in, err)
			}
			fmt.Fprintf(&b, "query: %s\nsql:   %s\nargs:", in, where)
			for _, a := range args {
				fmt.Fprintf(&b, " %T(%v)", a, a)
			}
			b.WriteString("\n\n")
		}
		path := filepath.Join("testdata", "dialect", name+".golden")
		if os.Getenv("LORE_UPDATE_GOLDEN") != "" {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (regenerate with LORE_UPDATE_GOLDEN=1)", err)
		}
		if got := b.String(); got != string(want) {
			t.Errorf("%s differs from the compiled SQL (regenerate with LORE_UPDATE_GOLDEN=1 if intended):\n%s", path, got)
		}
	}
}

func openDialectDB(t *testing.T, rows ...dialectRow) *sql.DB {
	if rows == nil {
		rows = dialectRows
	}
	t.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one connection: an in-memory database per connection
	t.Cleanup(func() { db.Close() })
	const schema = `CREATE TABLE events (
	project_id INTEGER NOT NULL, ts BIGINT NOT NULL, received_at BIGINT NOT NULL,
	kind VARCHAR NOT NULL, level VARCHAR NOT NULL, service VARCHAR NOT NULL, env VARCHAR NOT NULL,
	release VARCHAR NOT NULL, host VARCHAR NOT NULL,
	trace_hi UBIGINT NOT NULL, trace_lo UBIGINT NOT NULL, span_id UBIGINT NOT NULL, parent_span_id UBIGINT NOT NULL,
	user_id VARCHAR NOT NULL, anonymous_id VARCHAR NOT NULL, session_id VARCHAR NOT NULL, request_id VARCHAR NOT NULL,
	name VARCHAR NOT NULL, message VARCHAR NOT NULL, http_method VARCHAR NOT NULL, endpoint VARCHAR NOT NULL,
	http_status SMALLINT, duration_ms DOUBLE,
	error_type VARCHAR NOT NULL, error_code VARCHAR NOT NULL, fingerprint VARCHAR NOT NULL,
	retry_attempt SMALLINT, attr_keys VARCHAR[] NOT NULL, attr_values VARCHAR[] NOT NULL)`
	if _, err := db.Exec(schema); err != nil {
		t.Fatalf("create events: %v", err)
	}
	c, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	err = duckfn.Register(context.Background(), c)
	c.Close() // back to the pool: its only connection, now with the macros
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		trace, _ := event.ParseTraceID(r.trace)
		span, _ := event.ParseSpanID(r.span)
		var keys, values []string
		for _, kv := range r.attrs {
			keys = append(keys, sqlString(kv[0]))
			values = append(values, sqlString(kv[1]))
		}
		// Test data only: the lists are literals so the insert needs no
		// list binding.
		ins := `INSERT INTO events VALUES (1, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, 0, ?, '', '', ?, '', ?, ?, ?, ?, ?, '', '', '', ?,
			[` + strings.Join(keys, ",") + `]::VARCHAR[], [` + strings.Join(values, ",") + `]::VARCHAR[])`
		_, err := db.Exec(ins, int64(i), int64(i), r.kind, r.level, r.service, r.env,
			idArg(trace.Hi()), idArg(trace.Lo()), idArg(span.Uint64()), r.user, r.id, r.message, r.method, r.endpoint,
			nullIfZero(float64(r.status)), nullIfZero(r.duration), nullIfZero(float64(r.retry)))
		if err != nil {
			t.Fatalf("insert %s: %v", r.id, err)
		}
	}
	return db
}

func idArg(v uint64) any {
	_, arg := Dialect{}.Uint64(v)
	return arg
}

func nullIfZero(v float64) any {
	if v == 0 {
		return nil
	}
	return v
}

func sqlString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// matchIDs parses and compiles q with Dialect and returns the ids of the
// matching rows, sorted.
func matchIDs(db *sql.DB, q string) ([]string, error) {
	pq, err := query.Parse(q)
	if err != nil {
		return nil, err
	}
	where, args, err := query.Compile(pq, Dialect{})
	if err != nil {
		return nil, err
	}
	rows, err := db.Query("SELECT request_id FROM events WHERE "+where+" ORDER BY request_id", args...)
	if err != nil {
		return nil, fmt.Errorf("run %s %v: %w", where, args, err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// readFuzzString reads the one string of a "go test fuzz v1" corpus file.
func readFuzzString(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 2 || lines[0] != "go test fuzz v1" || !strings.HasPrefix(lines[1], "string(") {
		t.Fatalf("%s is not a go test fuzz v1 file with one string", path)
	}
	s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "string("), ")"))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// TestDialectFiltersReachTheScan checks that id and number filters stay
// comparisons on the bare columns, which DuckDB pushes into the scan and
// checks against each row group's min/max.
func TestDialectFiltersReachTheScan(t *testing.T) {
	db := openDialectDB(t)
	for _, c := range []struct{ q, col string }{
		{`trace_id:4bf92f3577b34da6a3ce929d0e0e4736`, "trace_hi"},
		{`trace_id:4bf9*`, "trace_hi"},
		{`span_id:ffffffffffffff01`, "span_id"},
		{`http_status:>=500`, "http_status"},
	} {
		pq, err := query.Parse(c.q)
		if err != nil {
			t.Fatal(err)
		}
		where, args, err := query.Compile(pq, Dialect{})
		if err != nil {
			t.Fatal(err)
		}
		var plan strings.Builder
		rows, err := db.Query("EXPLAIN SELECT request_id FROM events WHERE "+where, args...)
		if err != nil {
			t.Fatalf("explain %s: %v", c.q, err)
		}
		for rows.Next() {
			var kind, text string
			if err := rows.Scan(&kind, &text); err != nil {
				t.Fatal(err)
			}
			plan.WriteString(text)
		}
		rows.Close()
		flat := strings.Join(strings.Fields(plan.String()), "")
		if !strings.Contains(flat, c.col) || strings.Contains(flat, "CAST("+c.col) {
			t.Errorf("%s: the scan filter does not compare %s itself:\n%s", c.q, c.col, plan.String())
		}
	}
}
