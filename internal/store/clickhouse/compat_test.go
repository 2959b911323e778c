package clickhouse

import (
	"fmt"
	"strings"
	"testing"
)

func TestCompat(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"WITH a AS (SELECT x FROM events) SELECT * FROM a",
			"SELECT * FROM (SELECT x FROM events) AS a"},
		// A later item reads an earlier one; an alias of the query's own
		// wins; JOIN reads too; names elsewhere are left alone.
		{"WITH a AS (SELECT 1 AS x), b AS (SELECT x FROM a WHERE x > 0)\nSELECT b.x, a2.x FROM b JOIN a a2 ON a2.x = b.x",
			"SELECT b.x, a2.x FROM (SELECT x FROM (SELECT 1 AS x) AS a WHERE x > 0) AS b JOIN (SELECT 1 AS x) a2 ON a2.x = b.x"},
		{"WITH a AS (SELECT 1) SELECT * FROM a AS z", "SELECT * FROM (SELECT 1) AS z"},
		// Inside a subquery.
		{"SELECT * FROM (WITH a AS (SELECT 2) SELECT * FROM a)", "SELECT * FROM (SELECT * FROM (SELECT 2) AS a)"},
		// An expression WITH is 18.16's own: left as it is.
		{"WITH 5 AS n SELECT n", "WITH 5 AS n SELECT n"},
		// Quoted text is data.
		{"WITH a AS (SELECT 'FROM a') SELECT * FROM a WHERE 'x FROM a' <> ''",
			"SELECT * FROM (SELECT 'FROM a') AS a WHERE 'x FROM a' <> ''"},
		{"SELECT TRUE, false, 'TRUE', `true`, x_true FROM t WHERE TRUE", "SELECT 1, 0, 'TRUE', `true`, x_true FROM t WHERE 1"},
		{"SELECT 1e5, 0xFF", "SELECT 1e5, 0xFF"},
		{"SELECT * FROM e LEFT SEMI JOIN h ON e.a = h.a WHERE 'LEFT SEMI JOIN'", "SELECT * FROM e ANY INNER JOIN h ON e.a = h.a WHERE 'LEFT SEMI JOIN'"},
		{"SELECT * FROM e LEFT JOIN h ON e.a = h.a", "SELECT * FROM e LEFT JOIN h ON e.a = h.a"},
		{"WITH a AS (SELECT 'it''s \\' (') SELECT * FROM a", "SELECT * FROM (SELECT 'it''s \\' (') AS a"},
	} {
		if got := compat(c.in); got != c.want {
			t.Errorf("compat(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestCompatBounded: items that each read the one before twice would
// double the text 40 times; the rewrite stops and leaves the WITH.
func TestCompatBounded(t *testing.T) {
	sql := "WITH a0 AS (SELECT 1)"
	for i := 1; i <= 40; i++ {
		sql += fmt.Sprintf(", a%d AS (SELECT * FROM a%d JOIN a%d USING x)", i, i-1, i-1)
	}
	sql += " SELECT * FROM a40"
	if got := compat(sql); got != sql {
		t.Errorf("an exponential WITH was rewritten to %d bytes", len(got))
	}
}

// FuzzCompat: the rewrite never panics, and SQL without WITH, TRUE or
// FALSE comes back as it was.
func FuzzCompat(f *testing.F) {
	f.Add("WITH a AS (SELECT 1), b AS (SELECT * FROM a) SELECT * FROM b JOIN a USING x")
	f.Add("SELECT ((( 'unterminated")
	f.Add("WITH a AS (SELECT 1 SELECT * FROM a")
	f.Fuzz(func(t *testing.T, sql string) {
		got := compat(sql)
		u := strings.ToUpper(sql)
		if !strings.Contains(u, "WITH") && !strings.Contains(u, "TRUE") && !strings.Contains(u, "FALSE") &&
			!strings.Contains(u, "SEMI") && got != sql {
			t.Errorf("compat(%q) = %q, want it unchanged", sql, got)
		}
	})
}

func TestSemiJoinsAsIn(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"SELECT min(e.ts) FROM events e LEFT SEMI JOIN (SELECT a, b FROM t) h ON e.a = h.a AND h.b = e.b WHERE x = 1 OR y",
			"SELECT min(e.ts) FROM events e WHERE (e.a, e.b) IN (SELECT h.a, h.b FROM (SELECT a, b FROM t) AS h) AND (x = 1 OR y) "},
		{"SELECT e.ts FROM events e LEFT SEMI JOIN (SELECT a FROM t) AS s ON e.a = s.a\n\t\tWHERE e.p = 1 GROUP BY x",
			"SELECT e.ts FROM events e WHERE (e.a) IN (SELECT s.a FROM (SELECT a FROM t) AS s) AND (e.p = 1) GROUP BY x"},
		// No WHERE, inside a subquery; a table on the right.
		{"SELECT 1 FROM (SELECT x FROM events e LEFT SEMI JOIN t ON e.a = t.a) GROUP BY 1",
			"SELECT 1 FROM (SELECT x FROM events e WHERE (e.a) IN (SELECT t.a FROM t AS t) ) GROUP BY 1"},
		// Two in one query.
		{"SELECT 1 FROM a x LEFT SEMI JOIN b y ON x.k = y.k UNION ALL SELECT 2 FROM a x LEFT SEMI JOIN c z ON x.k = z.k LIMIT 1",
			"SELECT 1 FROM a x WHERE (x.k) IN (SELECT y.k FROM b AS y) UNION ALL SELECT 2 FROM a x WHERE (x.k) IN (SELECT z.k FROM c AS z) LIMIT 1"},
		// Shapes it does not know are left as they are.
		{"SELECT 1 FROM e LEFT SEMI JOIN h ON e.a < h.a", "SELECT 1 FROM e LEFT SEMI JOIN h ON e.a < h.a"},
		{"SELECT 1 FROM e LEFT SEMI JOIN (SELECT 1) ON e.a = a", "SELECT 1 FROM e LEFT SEMI JOIN (SELECT 1) ON e.a = a"},
		{"SELECT 1 FROM e LEFT SEMI JOIN h USING (a)", "SELECT 1 FROM e LEFT SEMI JOIN h USING (a)"},
		{"SELECT 'LEFT SEMI JOIN'", "SELECT 'LEFT SEMI JOIN'"},
	} {
		if got := semiJoinsAsIn(c.in); got != c.want {
			t.Errorf("semiJoinsAsIn(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// FuzzSemiJoinsAsIn: the rewrite never panics nor loops, and SQL without
// SEMI comes back as it was.
func FuzzSemiJoinsAsIn(f *testing.F) {
	f.Add("SELECT 1 FROM e LEFT SEMI JOIN (SELECT a FROM t) h ON e.a = h.a WHERE (x")
	f.Add("LEFT SEMI JOIN")
	f.Add("x LEFT SEMI JOIN ( ON e.a = h.a")
	f.Fuzz(func(t *testing.T, sql string) {
		got := semiJoinsAsIn(sql)
		if !strings.Contains(strings.ToUpper(sql), "SEMI") && got != sql {
			t.Errorf("semiJoinsAsIn(%q) = %q, want it unchanged", sql, got)
		}
	})
}
