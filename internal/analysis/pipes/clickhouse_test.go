package pipes_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
)

// TestClickHouseRuns runs the golden pipelines' ClickHouse SQL on a real
// ClickHouse server (Debian's clickhouse-server, started here on loopback
// with free ports and its own data directory) over the same events as the
// DuckDB tests, and requires the same answers as DuckDB gives. It is
// installed with apt-get when missing, and skipped, saying why, only when
// it cannot be installed.
func TestClickHouseRuns(t *testing.T) {
	clickHouseRuns(t, clickHouse{chtest.Start(t)})
}

// TestClickHouseRunsOnCurrentRelease is TestClickHouseRuns on a current
// ClickHouse release's engine (chtest.StartCurrent: chDB 26.5 behind a
// test-only HTTP front).
func TestClickHouseRunsOnCurrentRelease(t *testing.T) {
	clickHouseRuns(t, clickHouse{chtest.StartCurrent(t)})
}

// clickHouseRuns loads the events into ch and compares each golden
// pipeline's answer there with DuckDB's.
func clickHouseRuns(t *testing.T, ch clickHouse) {
	ch.exec(t, `CREATE TABLE events (project_id Int32, ts Int64, received_at Int64, kind String, level String,
		service String, env String, release String, host String, trace_hi UInt64, trace_lo UInt64, span_id UInt64,
		parent_span_id UInt64, user_id String, anonymous_id String, session_id String, request_id String, name String,
		message String, http_method String, endpoint String, http_status Nullable(Int16), duration_ms Nullable(Float64),
		error_type String, error_code String, fingerprint String, retry_attempt Nullable(Int16),
		attr_keys Array(String), attr_values Array(String)) ENGINE = MergeTree() PARTITION BY intDiv(ts, 86400000000) ORDER BY (project_id, ts)`)
	var rows strings.Builder
	for _, e := range shop() {
		b, err := json.Marshal(chRow(e))
		if err != nil {
			t.Fatal(err)
		}
		rows.Write(b)
		rows.WriteByte('\n')
	}
	ch.exec(t, "INSERT INTO events FORMAT JSONEachRow\n"+rows.String())

	// The dialect's interpolated percentiles and medians, on this
	// version: 1, 2, 3, 4 and a NULL; nothing.
	d := sqlq.ClickHouse{}
	got := ch.query(t, "percentiles", "SELECT "+d.Quantile("x", 0.95)+", "+d.AggOf(sqlq.AggMedian, "x")+", "+d.AggIf(sqlq.AggMedian, "x", "x > 1")+
		", "+d.Quantile("y", 0.5)+" FROM (SELECT arrayJoin([1, 2, 3, 4, NULL]) AS x, CAST(NULL AS Nullable(Float64)) AS y)")
	if want := "3.85\t2.5\t3\tNULL"; strings.Join(got, "") != want {
		t.Errorf("percentiles on ClickHouse: %q, want %q", got, want)
	}
	s := openStore(t)
	for _, text := range goldenQueries {
		p, err := pipes.Parse(text)
		if err != nil {
			t.Fatal(err)
		}
		from, to := t0, t0+7200*sec
		duck, err := pipes.Query{Pipeline: p, ProjectID: 1, From: from, To: to}.Run(context.Background(), s)
		if err != nil {
			t.Fatalf("DuckDB %q: %v", text, err)
		}
		c, err := pipes.Compile(p, sqlq.ClickHouse{}, 1, from, to)
		if err != nil {
			t.Fatalf("ClickHouse %q: %v", text, err)
		}
		// Compared as sets: the order is checked on DuckDB, and no golden
		// pipeline cuts a tie with its limit.
		got := render(pipes.Fill(c, ch.rows(t, text, inline(t, c.Query))))
		want := render(duck.Rows)
		slices.Sort(got)
		slices.Sort(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%q: ClickHouse and DuckDB differ\nclickhouse: %v\nduckdb:     %v", text, clip(got), clip(want))
		}
		// The spellings of the out-of-memory fallback (quantileTDigest,
		// uniqExact over cityHash64, uniq) run on this version too, one
		// row a group as exactly.
		for level := 1; level <= 2; level++ {
			c, err := pipes.CompileApprox(p, sqlq.ClickHouse{}, 1, from, to, level)
			if err != nil {
				t.Fatalf("ClickHouse %q at level %d: %v", text, level, err)
			}
			if got := pipes.Fill(c, ch.rows(t, fmt.Sprintf("%s (level %d)", text, level), inline(t, c.Query))); len(got) != len(want) {
				t.Errorf("%q at level %d: %d rows on ClickHouse, %d exactly", text, level, len(got), len(want))
			}
		}
	}
}

func clip(rows []string) string {
	s := strings.Join(rows, " | ")
	if len(s) > 600 {
		s = s[:600] + "…"
	}
	return s
}

// chRow is an event as the ClickHouse table holds it (zero numbers of
// the optional columns are NULL, as in DuckDB).
func chRow(e event.Event) map[string]any {
	opt := func(v float64) any {
		if v == 0 {
			return nil
		}
		return v
	}
	var keys, vals []string
	for _, a := range e.Attributes {
		keys, vals = append(keys, a.Key), append(vals, a.Value)
	}
	if keys == nil {
		keys, vals = []string{}, []string{}
	}
	return map[string]any{"project_id": e.ProjectID, "ts": e.TS, "received_at": e.TS, "kind": e.Kind, "level": e.Level,
		"service": e.Service, "env": e.Env, "release": e.Release, "host": e.Host, "trace_hi": 0, "trace_lo": 0, "span_id": 0,
		"parent_span_id": 0, "user_id": e.UserID, "anonymous_id": e.AnonymousID, "session_id": e.SessionID,
		"request_id": e.RequestID, "name": e.Name, "message": e.Message, "http_method": e.HTTPMethod, "endpoint": e.Endpoint,
		"http_status": opt(float64(e.HTTPStatus)), "duration_ms": opt(e.DurationMS), "error_type": e.ErrorType,
		"error_code": e.ErrorCode, "fingerprint": e.Fingerprint, "retry_attempt": opt(float64(e.RetryAttempt)),
		"attr_keys": keys, "attr_values": vals}
}

// render writes each row's values as text: numbers to 9 significant
// digits, so that two engines' floating-point sums compare.
func render(rows [][]any) []string {
	out := make([]string, len(rows))
	for i, row := range rows {
		cells := make([]string, len(row))
		for j, v := range row {
			cells[j] = cellText(v)
		}
		out[i] = strings.Join(cells, "\t")
	}
	return out
}

func cellText(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return strconv.FormatInt(n, 10)
		}
		f, _ := x.Float64()
		return cellText(f)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return strconv.FormatInt(int64(x), 10)
		}
		return strconv.FormatFloat(x, 'g', 9, 64)
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		if f, err := strconv.ParseFloat(x, 64); err == nil && strings.TrimSpace(x) == x && x != "" && !strings.ContainsAny(x, "xXnN") {
			return cellText(f)
		}
		return x
	}
	return fmt.Sprint(v)
}

// inline puts q's arguments in its SQL as literals (ClickHouse 18.16's
// HTTP interface binds no parameters). Only for tests: the values here
// are the test's own.
func inline(t *testing.T, q sqlq.Query) string {
	t.Helper()
	var b strings.Builder
	arg := 0
	quote := byte(0)
	for i := 0; i < len(q.SQL); i++ {
		c := q.SQL[i]
		switch {
		case quote != 0:
			if c == '\\' && i+1 < len(q.SQL) {
				b.WriteByte(c)
				i++
				c = q.SQL[i]
			} else if c == quote {
				quote = 0
			}
		case c == '\'' || c == '`' || c == '"':
			quote = c
		case c == '?':
			if arg >= len(q.Args) {
				t.Fatalf("more placeholders than arguments: %s", q.SQL)
			}
			b.WriteString(literal(t, q.Args[arg]))
			arg++
			continue
		}
		b.WriteByte(c)
	}
	if arg != len(q.Args) {
		t.Fatalf("%d placeholders, %d arguments: %s", arg, len(q.Args), q.SQL)
	}
	return b.String()
}

func literal(t *testing.T, v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case int:
		return strconv.Itoa(x)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(x) + "'"
	case []string:
		parts := make([]string, len(x))
		for i, s := range x {
			parts[i] = literal(t, s)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	t.Fatalf("no literal for %T %v", v, v)
	return ""
}

// clickHouse is a server started for one test.
type clickHouse struct{ *chtest.Server }

func (c clickHouse) exec(t *testing.T, sql string) { t.Helper(); c.Post(t, sql) }

// query runs sql and returns its rows rendered as render does.
func (c clickHouse) query(t *testing.T, what, sql string) []string {
	t.Helper()
	return render(c.rows(t, what, sql))
}

// rows runs sql and returns its rows, numbers as int64 (whole) or
// float64, as Run reads them.
func (c clickHouse) rows(t *testing.T, what, sql string) [][]any {
	t.Helper()
	b, err := c.Do(sql+" FORMAT JSONCompact", map[string]string{"output_format_json_quote_64bit_integers": "0"})
	if err != nil {
		t.Errorf("%q on ClickHouse: %v", what, err)
		return nil
	}
	var res struct {
		Data [][]any `json:"data"`
	}
	dec := json.NewDecoder(strings.NewReader(string(b)))
	dec.UseNumber()
	if err := dec.Decode(&res); err != nil {
		t.Fatalf("%q: %v\n%s", what, err, b)
	}
	for _, row := range res.Data {
		for i, v := range row {
			if n, ok := v.(json.Number); ok {
				if x, err := n.Int64(); err == nil {
					row[i] = x
				} else if f, err := n.Float64(); err == nil {
					row[i] = f
				}
			}
		}
	}
	return res.Data
}
