package sqlq

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/dialects.golden")

// constructs are every construct of Dialect, spelled with the same
// arguments in each engine.
var constructs = []struct {
	name  string
	spell func(d Dialect) string
}{
	{"Column", func(d Dialect) string { return d.Column("service") }},
	{"AttrValue", func(d Dialect) string { return d.AttrValue() }},
	{"ContainsFold", func(d Dialect) string { return d.ContainsFold("message") }},
	{"Glob", func(d Dialect) string { return d.Glob("message") }},
	{"Like", func(d Dialect) string { return d.Like("endpoint") }},
	{"Match", func(d Dialect) string { return d.Match("message") }},
	{"Lower", func(d Dialect) string { return d.Lower("message") }},
	{"ToDouble", func(d Dialect) string { return d.ToDouble("x") }},
	{"ToString", func(d Dialect) string { return d.ToString("http_status") }},
	{"Uint64", func(d Dialect) string { e, a := d.Uint64(1 << 63); return fmt.Sprintf("%s  [%T %v]", e, a, a) }},
	{"Ident", func(d Dialect) string { return d.Ident("order") + " " + d.Ident(`a"b`) + " " + d.Ident("a`b") }},
	{"Str", func(d Dialect) string { return d.Str("peer.service") + " " + d.Str(`it's \n`) }},
	{"Int64", func(d Dialect) string { return d.Int64("max(retry_attempt)") }},
	{"Float64", func(d Dialect) string { return d.Float64("count(*)") }},
	{"IntDiv", func(d Dialect) string { return d.IntDiv("ts", "?") }},
	{"TimeBucket", func(d Dialect) string { return d.TimeBucket("ts", "?", "?") }},
	{"Attr", func(d Dialect) string { return d.Attr("peer.service") }},
	{"AttrOr", func(d Dialect) string { return d.AttrOr("server.address", "service") }},
	{"HasAttr", func(d Dialect) string { return d.HasAttr("peer.service") }},
	{"ListContains", func(d Dialect) string { return d.ListContains("attr_keys", "?") }},
	{"ListAgg", func(d Dialect) string { return d.ListAgg("name", "ts") }},
	{"ListAggIf", func(d Dialect) string { return d.ListAggIf("name", "ts", "kind = 'event'") }},
	{"ListAgg by two keys", func(d Dialect) string { return d.ListAgg("name", "ts, service") }},
	{"StartsWith", func(d Dialect) string { return d.StartsWith("name", "$") }},
	{"ListLen", func(d Dialect) string { return d.ListLen("attr_keys") }},
	{"InStrings", func(d Dialect) string { return d.InStrings("fingerprint") }},
	{"DistinctSortedIf", func(d Dialect) string { return d.DistinctSortedIf("release", "release <> ''") }},
	{"ArgMinNIf", func(d Dialect) string { return d.ArgMinNIf("name", "ts", 3, "http_status = 429") }},
	{"AggOf", func(d Dialect) string {
		var s []string
		for _, fn := range []Agg{AggCount, AggSum, AggMin, AggMax, AggAny, AggMode, AggMedian} {
			s = append(s, d.AggOf(fn, "x"))
		}
		return strings.Join(s, " | ")
	}},
	{"AggIf", func(d Dialect) string {
		var s []string
		for _, fn := range []Agg{AggCount, AggSum, AggMin, AggMax, AggAny, AggMode, AggMedian} {
			s = append(s, d.AggIf(fn, "x", "http_status = 429"))
		}
		return strings.Join(s, " | ")
	}},
	{"ArgMax", func(d Dialect) string { return d.ArgMax("service", "retry_attempt") }},
	{"ArgMin", func(d Dialect) string { return d.ArgMin("service", "ts") }},
	{"ArgMinIf", func(d Dialect) string { return d.ArgMinIf("page", "ts", "page IS NOT NULL") }},
	{"ArgMaxIf", func(d Dialect) string { return d.ArgMaxIf("page", "ts", "page IS NOT NULL") }},
	{"Hash64", func(d Dialect) string { return d.Hash64("user_id") }},
	{"Lag", func(d Dialect) string { return d.Lag("ts", "person", "ts") }},
	{"GapSessions", func(d Dialect) string {
		return d.GapSessions("ev WHERE session_id = ''", "person", "ts", []string{"page", "referrer"})
	}},
	{"PrevRows", func(d Dialect) string {
		return d.PrevRows("firsts", "trace_hi, trace_lo", []string{"f", "service"}, []string{"service", "err"}, "service")
	}},
	{"FunnelBest", func(d Dialect) string {
		items, args := d.FunnelBest("SELECT pid, person, ts, step, bd, rid FROM raw", 3, 3600e6)
		return fmt.Sprintf("%s  %v", items, args)
	}},
	{"MaterializedCTE", func(d Dialect) string { return d.MaterializedCTE("ev", "SELECT 1") }},
	{"StarExcept", func(d Dialect) string { return d.StarExcept("new", "k") }},
	{"FirstNBy", func(d Dialect) string { return d.FirstNBy("e.person", "e.ts, e.label") }},
	{"TopNBy", func(d Dialect) string { return d.TopNBy("dim", "c DESC, v") }},
	{"CountDistinct", func(d Dialect) string { return d.CountDistinct("user_id") }},
	{"ApproxDistinct", func(d Dialect) string { return d.ApproxDistinct("user_id") }},
	{"Quantile", func(d Dialect) string { return d.Quantile("duration_ms", 0.95) }},
	{"ApproxQuantile", func(d Dialect) string { return d.ApproxQuantile("duration_ms", 0.95) }},
	{"QuantileIf", func(d Dialect) string { return d.QuantileIf("duration_ms", 0.95, "kind = 'span'") }},
	{"HexID", func(d Dialect) string { return d.HexID("span_id") }},
	{"TraceHex", func(d Dialect) string { return d.TraceHex("trace_hi", "trace_lo") }},
	{"SemiJoin", func(d Dialect) string { return d.SemiJoin("events e", "hits h", "e.trace_hi = h.trace_hi") }},
	{"Null", func(d Dialect) string {
		return strings.Join([]string{d.Null(TypeInt64), d.Null(TypeFloat64), d.Null(TypeString), d.Null(TypeStrings), d.Null(TypeInt64s), d.Null(TypeFloat64s)}, " | ")
	}},
	{"TryInt64", func(d Dialect) string { return d.TryInt64(d.Attr("replay.detection_ms")) }},
	{"Left", func(d Dialect) string { return d.Left("message", 120) }},
	{"ListIndex", func(d Dialect) string { return d.ListIndex("[?, ?]", "name") }},
	{"ListHead", func(d Dialect) string { return d.ListHead(d.ListAgg("person", "hit, person")) }},
	{"ExplodeNonNull", func(d Dialect) string { return d.ExplodeNonNull("[CASE WHEN a THEN 1 END, CASE WHEN b THEN 2 END]") }},
	{"ArgMaxRow", func(d Dialect) string { return d.ArgMaxRow([]string{"person", "t1", "t2"}, "depth") }},
	{"UnpackRow", func(d Dialect) string { return d.UnpackRow("b", []string{"person", "t1", "t2"}) }},
	{"RowOrder", func(d Dialect) string { return d.RowOrder() }},
	{"AsofLeftJoin", func(d Dialect) string { return d.AsofLeftJoin("c1 c", "n2 n", "c.pid = n.pid", "c.s1 < n.seq") }},
}

// TestDialectsGolden shows what every construct compiles to in each
// engine, side by side (testdata/dialects.golden; -update rewrites it).
func TestDialectsGolden(t *testing.T) {
	var b strings.Builder
	for _, c := range constructs {
		du, ch := c.spell(DuckDB{}), c.spell(ClickHouse{})
		same := ""
		if du == ch {
			same = " (same)"
		}
		fmt.Fprintf(&b, "== %s%s\nduckdb:     %s\nclickhouse: %s\n\n", c.name, same, du, ch)
		for _, d := range []Dialect{DuckDB{}, ClickHouse{}} {
			if s := c.spell(d); Placeholders(s) != strings.Count(s, "?") {
				t.Errorf("%s %s: a '?' inside a literal: %s", d.Name(), c.name, s)
			}
		}
	}
	path := filepath.Join("testdata", "dialects.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		t.Errorf("dialect spellings changed; diff against %s (run with -update if intended):\n%s", path, got)
	}
}
