package sqlq

import (
	"database/sql"
	"fmt"
	"testing"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver
)

// TestDuckDBExecutes runs the DuckDB spellings on a real in-memory DuckDB
// over a table shaped like events, and checks their values: the golden
// file shows the text, this proves it means what Dialect says.
func TestDuckDBExecutes(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE events (ts BIGINT, service VARCHAR, name VARCHAR, http_status SMALLINT, retry_attempt SMALLINT,
		duration_ms DOUBLE, trace_hi UBIGINT, trace_lo UBIGINT, attr_keys VARCHAR[], attr_values VARCHAR[]);
	INSERT INTO events VALUES
		(30, 'billing', 'c', 429, 2, 10, 1, 255, ['peer.service'], ['psp']),
		(10, 'billing', 'a', 200, 0, 20, 1, 255, ['server.address', 'peer.service'], ['api.example', 'psp']),
		(20, 'shipping', 'b', 429, 1, 40, 18446744073709551615, 0, [], []),
		(-5, 'web', 'z', NULL, NULL, NULL, 0, 0, ['it''s'], ['q'])`); err != nil {
		t.Fatal(err)
	}
	d := DuckDB{}
	one := func(expr string, args ...any) string {
		t.Helper()
		var v any
		if err := db.QueryRow("SELECT "+expr+" FROM events WHERE ts >= 0", args...).Scan(&v); err != nil {
			t.Fatalf("%s: %v", expr, err)
		}
		return fmt.Sprint(v)
	}
	for _, c := range []struct {
		expr string
		args []any
		want string
	}{
		{d.ListAgg(d.Attr("peer.service"), "ts"), nil, "[psp <nil> psp]"},
		{d.ListAgg(d.AttrOr("server.address", "service"), "ts"), nil, "[api.example shipping billing]"},
		{d.ListAgg(d.HasAttr("peer.service"), "ts"), nil, "[true false true]"},
		{d.ListAgg(d.TimeBucket("ts", "?", "?"), "ts"), []any{5, 10}, "[0 1 2]"},
		{d.ListAgg(d.IntDiv("ts - 25", "10"), "ts"), nil, "[-1 0 0]"} /* towards zero */, {"min(" + d.IntDiv("ts", "10") + ")", nil, "1"},
		{d.AggIf(AggCount, "", "http_status = 429"), nil, "2"},
		{d.AggIf(AggMin, "ts", "http_status = 429"), nil, "20"},
		{d.AggIf(AggMode, "service", "http_status >= 200"), nil, "billing"},
		{d.AggOf(AggSum, "retry_attempt"), nil, "3"},
		{d.Int64(d.AggOf(AggMax, "retry_attempt")), nil, "2"},
		{d.ArgMax("name", "retry_attempt"), nil, "c"},
		{d.ArgMin("name", "ts"), nil, "a"},
		{d.CountDistinct("service"), nil, "2"},
		{d.ApproxDistinct("service"), nil, "2"},
		{d.Quantile("duration_ms", 0.5), nil, "20"},
		{d.Quantile("duration_ms", 0.75), nil, "30"},
		{d.ApproxQuantile("duration_ms", 0.5), nil, "20"},
		{d.QuantileIf("duration_ms", 0.5, "http_status = 429"), nil, "25"},
		{d.QuantileIf("duration_ms", 0.5, "http_status = 0"), nil, "<nil>"},
		{d.ListAgg(d.TraceHex("trace_hi", "trace_lo"), "ts"), nil,
			"[000000000000000100000000000000ff ffffffffffffffff0000000000000000 000000000000000100000000000000ff]"},
		{d.ListAggIf("name", "ts", "http_status = 429"), nil, "[b c]"},
		{d.ListAggIf("name", "ts", "http_status = 0"), nil, "[]"},
		{d.ListAgg(d.StartsWith("service", "bill"), "ts"), nil, "[true false true]"},
		{d.ArgMinIf("name", "ts", "http_status = 429"), nil, "b"},
		{d.ArgMaxIf("name", "ts", "http_status = 200"), nil, "a"},
		{d.CountDistinct(d.Hash64("service")), nil, "2"},
		{d.ListLen(d.AggOf(AggAny, "attr_keys")) + " >= 0", nil, "true"},
		{d.AggIf(AggCount, "", d.ListContains("attr_keys", "?")), []any{"peer.service"}, "2"},
		{d.AggIf(AggCount, "", d.Match(d.Lower("service"))), []any{"^bill"}, "2"},
		{d.Float64("count(*)") + " / 2", nil, "1.5"},
		{d.AggIf(AggCount, "", d.InStrings("service")), []any{[]string{"billing", "nope"}}, "2"},
		{d.AggIf(AggCount, "", d.InStrings("service")), []any{[]string{}}, "0"},
		{d.DistinctSortedIf("service", "http_status IS NOT NULL"), nil, "[billing shipping]"},
		{d.DistinctSortedIf("service", "http_status = 0"), nil, "[]"},
		{d.ArgMinNIf("name", "ts", 2, "http_status IS NOT NULL"), nil, "[a b]"},
		{d.ArgMinNIf("name", "ts", 2, "http_status = 0"), nil, "[]"},
		{d.AggIf(AggMedian, "duration_ms", "service = 'billing'"), nil, "15"},
		{d.AggOf(AggMedian, "duration_ms"), nil, "20"},
		{d.Null(TypeInt64) + " IS NULL AND " + d.Null(TypeStrings) + " IS NULL", nil, "true"},
		{"max(" + d.TryInt64(d.ToString("retry_attempt")) + ")", nil, "2"},
		{"max(" + d.TryInt64("name") + ")", nil, "<nil>"},
		{"min(" + d.Left("service", 3) + ")", nil, "bil"},
		{"max(" + d.ListIndex("[?, ?]", "name") + ")", []any{"c", "b"}, "2"},
		{d.ListHead(d.ListAgg("name", "ts")), []any{2}, "[a b]"},
	} {
		if got := one(c.expr, c.args...); got != c.want {
			t.Errorf("%s = %s, want %s", c.expr, got, c.want)
		}
	}
	// Str and Ident quote what they are given.
	var k, v string
	q := "SELECT attr_keys[1] AS " + d.Ident(`we"ird`) + ", " + d.Attr(`it's`) + " FROM events WHERE ts < 0 AND " + d.HasAttr(`it's`)
	if err := db.QueryRow(q).Scan(&k, &v); err != nil || k != "it's" || v != "q" {
		t.Errorf("%s: %q %q %v", q, k, v, err)
	}
	// SemiJoin keeps the left rows with a match, once.
	var n int
	q = "SELECT count(*) FROM " + d.SemiJoin("events e", "(SELECT trace_hi, trace_lo FROM events WHERE http_status = 429) h",
		"e.trace_hi = h.trace_hi AND e.trace_lo = h.trace_lo")
	if err := db.QueryRow(q).Scan(&n); err != nil || n != 3 {
		t.Errorf("%s: %d %v", q, n, err)
	}
}

// TestDuckDBRows runs the constructs that make or spread rows: exploding
// a list, the arg-max row with its NULLs, arrival order, the ASOF join.
func TestDuckDBRows(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE events (ts BIGINT, name VARCHAR, http_status SMALLINT, retry_attempt SMALLINT);
	INSERT INTO events VALUES (30, 'c', 429, 2), (10, 'a', 200, 0), (20, 'b', 429, 1)`); err != nil {
		t.Fatal(err)
	}
	d := DuckDB{}
	for _, c := range []struct{ q, want string }{
		{"SELECT count(*) FROM (SELECT " + d.ExplodeNonNull("[CASE WHEN http_status = 429 THEN 1 END, 2]") + " AS x FROM events)", "5"},
		{"SELECT name || ':' || coalesce(CAST(z AS VARCHAR), '-') FROM (SELECT " + d.UnpackRow("b", []string{"name", "z"}) + " FROM (SELECT " +
			d.ArgMaxRow([]string{"name", "z"}, "retry_attempt") + " AS b FROM (SELECT name, CASE WHEN http_status = 200 THEN ts END AS z, retry_attempt FROM events)))", "c:-"},
		{"SELECT string_agg(name, ',' ORDER BY " + d.RowOrder() + ") FROM events", "c,a,b"},
		{"SELECT string_agg(l.k || ':' || coalesce(CAST(r.v AS VARCHAR), '-'), ',' ORDER BY l.s) FROM " +
			d.AsofLeftJoin("(VALUES (1, 10), (1, 25), (2, 50)) l(k, s)", "(VALUES (1, 20), (1, 30), (2, 40)) r(k, v)", "l.k = r.k", "l.s < r.v"), "1:20,1:30,2:-"},
	} {
		var got string
		if err := db.QueryRow(c.q).Scan(&got); err != nil || got != c.want {
			t.Errorf("%s = %q, %v; want %q", c.q, got, err, c.want)
		}
	}
}

// TestDuckDBClauses runs the clause-level spellings: a materialized CTE
// read with every column but one, and the top rows per group.
func TestDuckDBClauses(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	d := DuckDB{}
	q := "WITH " + d.MaterializedCTE("t", "SELECT * FROM (VALUES ('a', 3, 0), ('a', 2, 0), ('a', 1, 0), ('b', 5, 0)) v(dim, c, drop_me)") +
		", u AS (SELECT " + d.StarExcept("drop_me") + " FROM t) SELECT dim, c FROM u " + d.TopNBy("dim", "c DESC")
	rows, err := db.Query(q, 2)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var dim string
		var c int
		if err := rows.Scan(&dim, &c); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprint(dim, c))
	}
	if fmt.Sprint(got) != "[a3 a2 b5]" {
		t.Errorf("%s: %v, want [a3 a2 b5]", q, got)
	}
	// FirstNBy keeps the first rows of each partition.
	q = "SELECT string_agg(k || v, ',' ORDER BY k, v) FROM (SELECT k, v FROM (VALUES ('x', 3), ('x', 1), ('y', 2), ('x', 2)) t(k, v) " +
		d.FirstNBy("k", "v") + ")"
	var first string
	if err := db.QueryRow(q, 2).Scan(&first); err != nil || first != "x1,x2,y2" {
		t.Errorf("%s: %q %v, want x1,x2,y2", q, first, err)
	}
	// Lag is the previous row's value in the partition.
	q = "SELECT string_agg(coalesce(CAST(p AS VARCHAR), '-'), ',' ORDER BY k, ts) FROM (SELECT k, ts, " + d.Lag("ts", "k", "ts") +
		" AS p FROM (VALUES ('x', 1), ('x', 5), ('y', 2), ('x', 9)) v(k, ts))"
	var lag string
	if err := db.QueryRow(q).Scan(&lag); err != nil || lag != "-,1,5,-" {
		t.Errorf("%s: %q %v, want -,1,5,-", q, lag, err)
	}
}
