package sqlview_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/sqlview"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// deadline is the query deadline of the bounded-work tests; a query must
// answer (rows, a refusal or the deadline) within deadline + slack. The
// texts the allow-list refuses ran 11–31 s past such a deadline; bounded
// work answers within about a second of it on a quiet machine, and the
// slack leaves room for a loaded one (make test's packages in parallel at
// a load of 17 on 2 cores stretched to_binary over 64 KiB values to 3.3 s).
const deadline, slack = 2 * time.Second, 3 * time.Second

// runHostile runs text over project 3's 64 KiB values under deadline and
// fails when the answer comes later than deadline + slack.
func runHostile(t *testing.T, text string) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), deadline)
	defer cancel()
	start := time.Now()
	_, err := sqlview.Query{SQL: text, ProjectID: 3, From: t0, To: t0 + 7200*sec}.Run(ctx, shared.(*duckdb.Store))
	if took := time.Since(start); took > deadline+slack {
		t.Errorf("%q answered after %v (deadline %v): %v", text, took.Round(time.Millisecond), deadline, err)
	}
	return err
}

// TestUnboundedRefused: the texts that held a core past their deadline
// (a value built from a number, a backtracking pattern, a search with a
// long needle, a value grown without bound) are refused, naming why.
func TestUnboundedRefused(t *testing.T) {
	cases := map[string]string{
		`SELECT repeat('x', 2000000000) AS s`:                                                    "repeat() is not allowed",
		`SELECT list_sum(range(3000000000)) FROM events`:                                         "range() is not allowed",
		`SELECT lpad('x', 2000000000, 'y')`:                                                      "lpad() is not allowed",
		`SELECT rpad(message, 2000000000, 'y') FROM events`:                                      "rpad() is not allowed",
		`SELECT printf('%2000000000d', 1)`:                                                       "printf() is not allowed",
		`SELECT format('{:>2000000000}', 1)`:                                                     "format() is not allowed",
		`SELECT bar(1, 0, 2, 2000000000)`:                                                        "bar() is not allowed",
		`SELECT * FROM generate_series(1, 3000000000)`:                                           "table functions",
		`SELECT generate_series(1, 3000000000)`:                                                  "generate_series() is not allowed",
		`SELECT count(*) FROM range(3000000000)`:                                                 "table functions",
		`SELECT count(*) FROM (SELECT unnest(range(3000000000)))`:                                "range() is not allowed",
		`SELECT list_resize(attr_keys, 2000000000) FROM events`:                                  "list_resize() is not allowed",
		`SELECT array_resize([1], 2000000000)`:                                                   "array_resize() is not allowed",
		`SELECT list_reduce(attr_keys, (a, b) -> a || a) FROM events`:                            "list_reduce() is not allowed",
		`SELECT levenshtein(message, endpoint) FROM events`:                                      "levenshtein() is not allowed",
		`SELECT to_base(1, 2, 2000000000)`:                                                       "to_base() is not allowed",
		`SELECT bitstring('1', 2000000000)`:                                                      "bitstring() is not allowed",
		`SELECT regexp_split_to_array(message, 'a') FROM events`:                                 "regexp_split_to_array() is not allowed",
		`SELECT regexp_extract_all(message, 'a') FROM events`:                                    "regexp_extract_all() is not allowed",
		`SELECT error('x')`:                                                                      "error() is not allowed",
		`WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r`: "WITH RECURSIVE",
		`WITH RECURSIVE r(s) AS (SELECT message FROM events UNION ALL SELECT s || s FROM r) SELECT max(length(s)) FROM r`: "WITH RECURSIVE",
		// backtracking patterns
		`SELECT count(*) FROM events WHERE message LIKE '%a%a%a%a%_b'`: "backtracks",
		`SELECT count(*) FROM events WHERE message ILIKE '%a%a%a%a%b'`: "backtracks",
		`SELECT count(*) FROM events WHERE message GLOB '*a*a*a*a*b'`:  "backtracks",
		// one wildcard before text is enough: the matcher tries every position (3.2 s a 100 rows)
		`SELECT count(*) FROM events WHERE message ILIKE '%` + strings.Repeat("a", 60) + `b%'`:    "backtracks",
		`SELECT count(*) FROM events WHERE message NOT ILIKE '%` + strings.Repeat("a", 60) + `b'`: "backtracks",
		`SELECT count(*) FROM events WHERE message GLOB '*` + strings.Repeat("a", 60) + `b*'`:     "backtracks",
		`SELECT count(*) FROM events WHERE message LIKE 'a%` + strings.Repeat("a", 60) + `b_'`:    "backtracks",
		`SELECT count(*) FROM events WHERE message LIKE user_id`:                                  "must be a constant",
		`SELECT count(*) FROM events WHERE message LIKE '%a%a%b' || substr(message, 1, 0)`:        "must be a constant",
		// searches with a long or non-constant needle
		`SELECT count(*) FROM events WHERE contains(message, endpoint)`:                                  "must be a constant",
		`SELECT count(*) FROM events WHERE contains(message, '` + strings.Repeat("a", 100) + `b')`:       "at most 64 bytes",
		`SELECT count(*) FROM events WHERE regexp_matches(message, '` + strings.Repeat("a", 100) + `b')`: "at most 64 bytes",
		`SELECT count(*) FROM events WHERE strpos(message, endpoint) > 0`:                                "must be a constant",
		`SELECT replace(message, 'a', message) FROM events`:                                              "must be a constant",
		`SELECT regexp_replace(message, '', '` + strings.Repeat("x", 20) + `') FROM events`:              "multiply a value's size",
		`SELECT regexp_replace(message, '', 'x', 'g') FROM events`:                                       "the g option",
		`SELECT list_transform(attr_keys, x -> attr_values) FROM events`:                                 "only read its own parameters",
		`SELECT concat(*COLUMNS(*)) FROM events`:                                                         "unpacking",
		`SELECT min(message, 2000000000) FROM events`:                                                    "min() with 2 arguments",
		`SELECT arg_max(message, ts, 2000000000) FROM events`:                                            "arg_max() with 3 arguments",
		`SELECT string_agg(message, '') OVER (ORDER BY ts) FROM events`:                                  "OVER a window",
		`SELECT upper(s) FROM events, (SELECT string_agg(message, '') AS s FROM events)`:                 "only allowed in the outermost SELECT",
		`SELECT ARRAY(SELECT message FROM events)`:                                                       "only allowed in the outermost SELECT",
		`SELECT string_agg(message, '') || string_agg(message, '') FROM events`:                          "of string_agg() is not allowed",
		`SELECT first_value(string_agg(message, '')) OVER () FROM events GROUP BY ts`:                    "window function",
		// a value doubled again and again through WITH
		`WITH a AS (SELECT message || message AS m FROM events), b AS (SELECT m || m AS m FROM a), c AS (SELECT m || m AS m FROM b),
		d AS (SELECT m || m AS m FROM c), e AS (SELECT m || m AS m FROM d), f AS (SELECT m || m AS m FROM e), g AS (SELECT m || m AS m FROM f)
		SELECT max(length(m)) FROM g`: "multiply a value's size by more than 16",
		`SELECT length(to_json(to_json(to_json(to_json(to_json(to_json(to_json(message)))))))) FROM events`: "multiply a value's size",
	}
	for text, want := range cases {
		err := runHostile(t, text)
		if err == nil {
			t.Errorf("%q ran", text)
			continue
		}
		if !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want an invalid-input error saying %q", text, err, want)
		}
	}
}

// TestBoundedAllowed: what the checks let through over the worst values
// (64 KiB runs of one letter) answers within the deadline.
func TestBoundedAllowed(t *testing.T) {
	for _, text := range []string{
		`SELECT count(*) FROM events WHERE message LIKE '%a%a%a%a%b'`,
		`SELECT count(*) FROM events WHERE message NOT LIKE '%a%a%a%a%a%a%a%a%c%'`,
		`SELECT count(*) FROM events WHERE message ILIKE 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab%%'`,
		`SELECT count(*) FROM events WHERE message GLOB 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab?*'`,
		`SELECT count(*) FROM events WHERE message LIKE 'a_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab%'`,
		`SELECT count(*) FROM events WHERE lower(message) LIKE '%aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab%'`,
		`SELECT count(*) FROM events WHERE contains(lower(message), 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab')`,
		`SELECT count(*) FROM events WHERE contains(message, '` + strings.Repeat("a", 63) + `c')`,
		`SELECT count(*) FROM events WHERE regexp_matches(message, '` + strings.Repeat("a", 63) + `c')`,
		`SELECT count(*) FROM events WHERE regexp_matches(message, '(a*)*c')`,
		`SELECT count(*) FROM events WHERE message SIMILAR TO '(a|aa)*c'`,
		`SELECT sum(length(replace(message, 'a', 'bb'))) FROM events`,
		`SELECT sum(length(regexp_replace(message, '(a+)', '\\1\\1\\1'))) FROM events`,
		`SELECT sum(len(string_split(message, ''))) FROM events`,
		`SELECT count(*) FROM (SELECT unnest(string_split(message, '')) FROM events)`,
		`SELECT sum(length(message || endpoint || message || endpoint)) FROM events`,
		`WITH a AS (SELECT message || message AS m FROM events), b AS (SELECT m || m AS m FROM a) SELECT max(length(m)) FROM b`,
		`SELECT length(string_agg(message, '')) FROM events`,
		`SELECT length(string_agg(a.message, '')) FROM events a, events b, events c`,
		`SELECT len(list(a.message)) FROM events a, events b, events c, events d`,
		`SELECT quantile_cont(length(a.message) + b.duration_ms, 0.5) FROM events a, events b, events c, events d`,
		`SELECT count(DISTINCT a.message || b.user_id) FROM events a, events b, events c`,
		`SELECT list_transform(attr_values, x -> x || x || x) FROM events`,
		`SELECT list_sort(list_distinct(attr_values)) FROM events`,
		`SELECT sum(length(md5(message)) + length(upper(message)) + length(reverse(message))) FROM events`,
		`SELECT lag(message, 2000000000) OVER (), ntile(2000000000) OVER (ORDER BY ts), count(*) OVER (ROWS BETWEEN 2000000000 PRECEDING AND 2000000000 FOLLOWING) FROM events`,
		`SELECT mode(message) OVER (ORDER BY ts ROWS BETWEEN 50 PRECEDING AND CURRENT ROW) FROM events`,
		`SELECT count(*) FROM events USING SAMPLE 1000000000 ROWS`,
		`SELECT message FROM events ORDER BY ts LIMIT 2000000000 OFFSET 1000000000`,
		`SELECT CAST(NULL AS INTEGER[100000])`,
	} {
		if err := runHostile(t, text); err != nil && errs.Is(err, errs.Invalid) && strings.Contains(err.Error(), "refused") {
			t.Errorf("%q refused: %v", text, err)
		}
	}
}

// TestEveryAllowedFunction calls every function of the allow-list, in
// each of its engine signatures, with hostile arguments: the largest
// numbers, project 3's 64 KiB strings and 256-value lists. Each call
// answers (or fails) within the deadline + slack: the allow-list itself is
// proven bounded.
func TestEveryAllowedFunction(t *testing.T) {
	if testing.Short() {
		t.Skip("calls every allowed function")
	}
	ex := shared.(*duckdb.Store)
	type sig struct{ name, kind, params string }
	var sigs []sig
	q := sqlq.Query{Name: "test.signatures", SQL: `SELECT DISTINCT lower(function_name), function_type, CAST(parameter_types AS VARCHAR)
		FROM duckdb_functions() WHERE function_type IN ('scalar', 'aggregate', 'macro') ORDER BY ALL`}
	err := ex.Run(context.Background(), q, func(s sqlq.Scanner) error {
		var g sig
		if err := s.Scan(&g.name, &g.kind, &g.params); err != nil {
			return err
		}
		if sqlview.Allowed(g.name) {
			sigs = append(sigs, g)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen, ran := map[string]bool{}, map[string]bool{}
	for _, g := range sigs {
		seen[g.name] = true
		args := hostileArgs(g.params)
		text := fmt.Sprintf("SELECT %s FROM events", call(g.name, args))
		if g.kind == "aggregate" {
			text += " GROUP BY ts"
		}
		if strings.ContainsAny(g.name, "+-*/%^&|<>~!@=") {
			if len(args) == 2 {
				text = fmt.Sprintf("SELECT (%s) %s (%s) FROM events", args[0], g.name, args[1])
			} else if len(args) == 1 {
				text = fmt.Sprintf("SELECT %s (%s) FROM events", g.name, args[0])
			}
		}
		if ran[text] {
			continue
		}
		ran[text] = true
		start := time.Now()
		err := runHostile(t, text)
		if testing.Verbose() {
			t.Logf("%5.2fs %s: %v", time.Since(start).Seconds(), text, errString(err))
		}
	}
	if len(seen) < 300 {
		t.Errorf("only %d allowed functions have a signature", len(seen))
	}
	// The window-only functions, with the largest offsets.
	for _, text := range []string{
		`SELECT row_number() OVER w, rank() OVER w, dense_rank() OVER w, percent_rank() OVER w, cume_dist() OVER w FROM events WINDOW w AS (ORDER BY message)`,
		`SELECT ntile(2000000000) OVER w, lag(message, 2000000000, endpoint) OVER w, lead(message, -2000000000) OVER w FROM events WINDOW w AS (ORDER BY ts)`,
		`SELECT first_value(message) OVER w, last_value(message) OVER w, nth_value(message, 2000000000) OVER w FROM events WINDOW w AS (ORDER BY ts)`,
	} {
		runHostile(t, text)
	}
}

// hostileArgs are arguments of the engine's types (as duckdb_functions
// lists them): the largest numbers, 64 KiB strings, 256-value lists.
func hostileArgs(params string) []string {
	params = strings.Trim(params, "[]")
	if params == "" {
		return nil
	}
	var out []string
	for _, p := range strings.Split(params, ", ") {
		p = strings.TrimSpace(p)
		switch {
		case strings.HasSuffix(p, "[]") || strings.HasPrefix(p, "LIST") || strings.HasPrefix(p, "ARRAY"):
			out = append(out, "attr_values")
		case strings.HasPrefix(p, "MAP"):
			out = append(out, "attributes")
		case strings.HasPrefix(p, "STRUCT"):
			out = append(out, "{'a': message}")
		case p == "BIGINT" || p == "INTEGER" || p == "HUGEINT" || p == "UBIGINT" || p == "UINTEGER" || p == "SMALLINT" || p == "TINYINT" || p == "UHUGEINT":
			out = append(out, "2000000000")
		case p == "DOUBLE" || p == "FLOAT" || strings.HasPrefix(p, "DECIMAL"):
			out = append(out, "1e300")
		case strings.HasPrefix(p, "TIMESTAMP") || p == "DATE":
			out = append(out, "ts")
		case p == "INTERVAL":
			out = append(out, "INTERVAL 2000000000 DAY")
		case p == "BOOLEAN":
			out = append(out, "true")
		case p == "JSON":
			out = append(out, "to_json(attr_values)")
		case p == "BLOB" || p == "BIT":
			out = append(out, "CAST(message AS BLOB)")
		case p == "VARCHAR" && len(out) > 0:
			out = append(out, "'a'") // a pattern, separator or format: the checks want constants
		default:
			out = append(out, "message")
		}
	}
	return out
}

func call(name string, args []string) string {
	return name + "(" + strings.Join(args, ", ") + ")"
}

func errString(err error) string {
	if err == nil {
		return "ok"
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "deadline"
	}
	s := err.Error()
	if len(s) > 120 {
		s = s[:120]
	}
	return s
}

// TestSplitReadsFirst4KiB: a split reads the first 4 KiB of its value (a
// 64 KiB value of separators would make 64K elements a row), and what is
// shorter splits as the engine does.
func TestSplitReadsFirst4KiB(t *testing.T) {
	ctx := context.Background()
	res, err := sqlview.Query{SQL: `SELECT len(string_split(message, 'a')) AS n, split_part(message, 'b', 1) = '' AS cut,
		length(split_part(message, 'b', 1)) AS first FROM events LIMIT 1`, ProjectID: 3, From: t0, To: t0 + 7200*sec}.Run(ctx, shared.(*duckdb.Store))
	if err != nil || fmt.Sprint(res.Rows) != "[[4097 false 4096]]" {
		t.Fatalf("split of a 64 KiB value: %v %v", res.Rows, err)
	}
	res = run(t, `SELECT split_part(endpoint, '/', 2) AS part, string_split('a,b', ',') AS parts FROM events ORDER BY ts LIMIT 1`)
	if fmt.Sprint(res.Rows) != "[[pay [a b]]]" {
		t.Fatalf("split: %v", res.Rows)
	}
}
