package query

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestCompile(t *testing.T) {
	f := func(in, wantSQL string, wantArgs ...any) {
		t.Helper()
		q, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			return
		}
		sql, args, err := Compile(q, testDialect{})
		if err != nil {
			t.Errorf("Compile(%q): %v", in, err)
			return
		}
		if sql != wantSQL {
			t.Errorf("Compile(%q) SQL\n got %s\nwant %s", in, sql, wantSQL)
		}
		if fmt.Sprintf("%#v", args) != fmt.Sprintf("%#v", wantArgs) {
			t.Errorf("Compile(%q) args\n got %#v\nwant %#v", in, args, wantArgs)
		}
	}
	f(``, `TRUE`)
	f(`*`, `TRUE`)
	f(`""`, `TRUE`)
	f(`Timeout`, `contains(lower(message), ?)`, "timeout")
	f(`Time*Out`, `regexp_matches(lower(message), ?)`, `time[^\x00]*out`)
	f(`*a*a*b*`, `regexp_matches(lower(message), ?)`, `a[^\x00]*a[^\x00]*b`)
	f(`100%_*`, `contains(lower(message), ?)`, `100%_`)
	f(`a\\b*c.d`, `regexp_matches(lower(message), ?)`, `a\\b[^\x00]*c\.d`)
	f(`level:warning`, `level = ?`, "warn")
	f(`service:*`, `service <> ''`)
	f(`service:pay*`, `service LIKE ? ESCAPE '\'`, "pay%")
	// LIKE only for a prefix: a '%' before literal text backtracks in DuckDB
	f(`service:*pay*`, `regexp_matches(service, ?)`, `\A[^\x00]*pay[^\x00]*\z`)
	f(`service:*pay`, `regexp_matches(service, ?)`, `\A[^\x00]*pay\z`)
	f(`service:p*y`, `regexp_matches(service, ?)`, `\Ap[^\x00]*y\z`)
	f(`service:*p*y`, `regexp_matches(service, ?)`, `\A[^\x00]*p[^\x00]*y\z`)
	f(`user.plan:a*\(b\)*c`, `regexp_matches(attr_values[list_position(attr_keys, ?)], ?)`, "user.plan", `\Aa[^\x00]*\(b\)[^\x00]*c\z`)
	f(`-http_status:500`, `NOT COALESCE(http_status = ?, FALSE)`, int64(500))
	f(`duration:>1.5s`, `duration_ms > ?`, int64(1500))
	f(`duration:>0.25ms`, `duration_ms > ?`, 0.25)
	f(`http_status:5*`, `CAST(http_status AS VARCHAR) LIKE ? ESCAPE '\'`, "5%")
	f(`http_status:*`, `http_status IS NOT NULL`)
	f(`user.plan:pro`, `attr_values[list_position(attr_keys, ?)] = ?`, "user.plan", "pro")
	f(`user.plan:""`, `COALESCE(attr_values[list_position(attr_keys, ?)], '') = ?`, "user.plan", "")
	f(`cart.items:>=2`, `TRY_CAST(attr_values[list_position(attr_keys, ?)] AS DOUBLE) >= ?`, "cart.items", int64(2))
	f(`trace_id:4bf92f3577b34da6a3ce929d0e0e4736`, `(trace_hi = ? AND trace_lo = ?)`,
		uint64(0x4bf92f3577b34da6), uint64(0xa3ce929d0e0e4736))
	f(`trace_id:4bf9*`, `trace_hi BETWEEN ? AND ?`, uint64(0x4bf9000000000000), uint64(0x4bf9ffffffffffff))
	f(`trace_id:4bf92f3577b34da6*`, `trace_hi = ?`, uint64(0x4bf92f3577b34da6))
	f(`trace_id:4bf92f3577b34da6a*`, `(trace_hi = ? AND trace_lo BETWEEN ? AND ?)`,
		uint64(0x4bf92f3577b34da6), uint64(0xa000000000000000), uint64(0xafffffffffffffff))
	f(`trace_id:*`, `(trace_hi <> 0 OR trace_lo <> 0)`)
	f(`span_id:00f067aa0ba902b7`, `span_id = ?`, uint64(0x00f067aa0ba902b7))
	f(`a b OR c`, `((contains(lower(message), ?) AND contains(lower(message), ?)) OR contains(lower(message), ?))`, "a", "b", "c")
}

func TestCompileNilQuery(t *testing.T) {
	for _, q := range []*Query{nil, {}, {Text: "  "}} {
		sql, args, err := Compile(q, testDialect{})
		if sql != "TRUE" || args != nil || err != nil {
			t.Errorf("Compile(%#v) = %q, %v, %v; want TRUE, nil, nil", q, sql, args, err)
		}
	}
}

func TestCompileRejectsMalformedTrees(t *testing.T) {
	for _, n := range []Node{
		&And{},
		&Not{},
		&Text{},
		&Field{Name: "no_such_column"},
		&Field{Name: "level", Op: OpGt},
		&Field{Name: "", Attr: true, Op: OpEq},
	} {
		if sql, _, err := Compile(&Query{Root: n}, testDialect{}); err == nil {
			t.Errorf("Compile(%s) = %q, want an error", Dump(n), sql)
		}
	}
}

func TestWords(t *testing.T) {
	f := func(in string, want ...string) {
		t.Helper()
		q, err := Parse(in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", in, err)
		}
		if got := q.Words(); !slices.Equal(got, want) {
			t.Errorf("Words(%q) = %q, want %q", in, got, want)
		}
	}
	f(``)
	f(`level:error`)
	f(`Timeout`, "timeout")
	f(`"Rate Limited" service:x gateway`, "rate limited", "gateway")
	f(`time*out`, "time", "out")
	f(`a (b c) a`, "a", "b", "c")
	f(`a OR b`)
	f(`-a b`, "b")
	f(`NOT (a b)`)
	f(`msg:pool`, "pool")
}

// allowedSQL are the only identifiers and keywords compiled SQL may hold:
// column names and the dialect's spelling. Anything else came from user
// text.
var sqlToken = regexp.MustCompile(`^(\s+|[A-Za-z_][A-Za-z_0-9]*|\?|'\\'|''|<>|>=|<=|[=<>(),\[\]]|0)`)

func checkSQLTokens(sql string) error {
	allowed := map[string]bool{}
	for name := range Columns() {
		allowed[name] = true
	}
	for _, w := range strings.Fields(`AND OR NOT COALESCE FALSE TRUE LIKE ESCAPE contains lower TRY_CAST AS
		DOUBLE CAST VARCHAR attr_values attr_keys list_position IS NULL BETWEEN trace_hi trace_lo regexp_matches`) {
		allowed[w] = true
	}
	for rest := sql; rest != ""; {
		tok := sqlToken.FindString(rest)
		if tok == "" {
			return fmt.Errorf("unexpected text %q in SQL %s", rest, sql)
		}
		if c := tok[0]; (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_') && !allowed[tok] {
			return fmt.Errorf("unexpected identifier %q in SQL %s", tok, sql)
		}
		rest = rest[len(tok):]
	}
	return nil
}

func TestCompileKeepsValuesOutOfSQL(t *testing.T) {
	evil := `'; DROP TABLE events; -- ? ") OR 1=1 /*`
	esc := escapeUnquoted(evil, true)
	for _, in := range []string{
		quoteIfNeeded(evil),
		esc + "*",
		"service:" + quoteIfNeeded(evil),
		"service:" + esc + "*",
		"level:" + quoteIfNeeded(evil),
		"method:" + quoteIfNeeded(evil),
		esc + ":" + quoteIfNeeded(evil),
		esc + ":>5",
		esc + ":*",
		"trace_id:" + quoteIfNeeded(evil),
		"span_id:" + quoteIfNeeded(evil),
		"-(env:" + esc + " OR " + quoteIfNeeded(evil) + ")",
	} {
		q, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			continue
		}
		sql, args, err := Compile(q, testDialect{})
		if err != nil {
			t.Errorf("Compile(%q): %v", in, err)
			continue
		}
		if err := checkSQLTokens(sql); err != nil {
			t.Errorf("Compile(%q): %v", in, err)
		}
		if n := strings.Count(sql, "?"); n != len(args) {
			t.Errorf("Compile(%q) has %d placeholders and %d args", in, n, len(args))
		}
	}
}
