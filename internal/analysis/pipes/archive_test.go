package pipes_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// openArchiving opens a DuckDB store with a cold tier (--archive) in a
// temporary directory, appends evs, and returns it and the archive's
// directory.
func openArchiving(t *testing.T, evs []event.Event) (*duckdb.Store, string) {
	t.Helper()
	archive := filepath.Join(t.TempDir(), "archive")
	s, err := duckdb.Open(context.Background(), t.TempDir(), duckdb.Options{MemoryLimit: "256MB", ArchiveDir: archive}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.Append(context.Background(), store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	return s, archive
}

// runOn runs a pipeline of project 1 over [from, to) on ex.
func runOn(t *testing.T, ex sqlq.Executor, from, to int64, text string) (pipes.Result, error) {
	t.Helper()
	p, err := pipes.Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return pipes.Query{Pipeline: p, ProjectID: 1, From: from, To: to}.Run(context.Background(), ex)
}

var _ pipes.Archive = (*duckdb.Store)(nil)

// dayUS is a day in microseconds.
const dayUS = int64(24 * time.Hour / time.Microsecond)

// TestPipesReadArchivedDays moves two of four days to the cold tier
// (--archive): a pipeline whose range reaches them counts their events as
// the histogram does (stats count() by service, by bin(1d), with a
// search, an attribute and figures computed here from the events), and a
// range of hot days alone opens no archived file — checked by spoiling
// the files, which then fail only the queries that reach them.
func TestPipesReadArchivedDays(t *testing.T) {
	ctx := context.Background()
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	for d := range 4 {
		for i := range 60 {
			e := event.Event{ProjectID: 1, Kind: event.KindLog, Level: "info", Service: fmt.Sprint("svc-", i%3),
				TS: day0.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute).UnixMicro(), UserID: fmt.Sprint("u", i%(d+2)),
				DurationMS: float64(10*i + d), Message: fmt.Sprintf("checkout %d of day%d", i, d),
				Attributes: []event.Attr{{Key: "tier", Value: []string{"gold", "free"}[i%2]}}}
			if i%4 == 0 {
				e.Level = "error"
			}
			evs = append(evs, e)
		}
	}
	// another project's archived day never shows
	evs = append(evs, event.Event{ProjectID: 2, Kind: event.KindLog, Service: "svc-0", TS: day0.UnixMicro(), Message: "day0"})
	s, archive := openArchiving(t, evs)
	for p := int64(1); p <= 2; p++ {
		if _, err := s.DeleteEvents(ctx, p, event.KindLog, day0.AddDate(0, 0, 2).UnixMicro()); err != nil {
			t.Fatal(err)
		}
	}
	files, _ := filepath.Glob(filepath.Join(archive, "project_id=1", "*", "*", "*.parquet"))
	if len(files) != 2 {
		t.Fatalf("archived files %v, want one for each of days 0 and 1", files)
	}
	all := store.Range{From: day0.UnixMicro(), To: day0.AddDate(0, 0, 4).UnixMicro()}
	archived := store.Range{From: all.From, To: all.From + 2*dayUS}
	hot := store.Range{From: all.From + 2*dayUS, To: all.To}

	runIn := func(rng store.Range, text string) (pipes.Result, error) {
		t.Helper()
		return runOn(t, s, rng.From, rng.To, text)
	}
	// byKey runs an aggregation whose first column is a key and second a count.
	byKey := func(rng store.Range, text string) map[string]int64 {
		t.Helper()
		res, err := runIn(rng, text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		out := map[string]int64{}
		for _, row := range res.Rows {
			out[fmt.Sprint(row[0])] = row[1].(int64)
		}
		return out
	}
	// histogram counts by split over the range, as Explore draws them.
	histogram := func(rng store.Range, q, split string) map[string]int64 {
		t.Helper()
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		h, err := events.Reader{Ex: s}.Histogram(ctx, store.HistogramRequest{ProjectID: 1, Range: rng, Query: pq, Step: dayUS, SplitBy: split})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]int64{}
		for _, b := range h.Buckets {
			if split == "" {
				if b.Count > 0 {
					out[fmt.Sprint(b.Start)] += b.Count
				}
				continue
			}
			for v, n := range b.By {
				out[v] += n
			}
		}
		return out
	}
	same := func(what string, got, want map[string]int64) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: pipes %v, histogram %v", what, got, want)
		}
	}
	for name, rng := range map[string]store.Range{"all days": all, "archived days": archived, "hot days": hot} {
		svc := byKey(rng, `| stats count() by service`)
		same(name+", count by service", svc, histogram(rng, "", "service"))
		var total int64
		for _, n := range svc {
			total += n
		}
		if want := (rng.To - rng.From) / dayUS * 60; total != want {
			t.Errorf("%s: %d events, want %d", name, total, want)
		}
		same(name+", errors by service", byKey(rng, `level:error | stats count() by service`), histogram(rng, "level:error", "service"))
		same(name+", by attribute", byKey(rng, `| stats count() as n by tier`), histogram(rng, "", "tier"))
		days := byKey(rng, `| stats count() by bin(1d)`)
		same(name+", by day", days, histogram(rng, "", ""))
	}
	// A word only the archived day 0 holds, and figures computed here.
	if got := byKey(all, `day0 | stats count() by service`); fmt.Sprint(got) != "map[svc-0:20 svc-1:20 svc-2:20]" {
		t.Errorf("a word of archived day 0: %v", got)
	}
	res, err := runIn(all, `level:error | stats count() as n, p95(duration_ms) as p95, uniq(user_id) as users, max(duration_ms) as top`)
	if err != nil {
		t.Fatal(err)
	}
	var durs []float64
	users := map[string]bool{}
	for _, e := range evs {
		if e.ProjectID == 1 && e.Level == "error" {
			if e.DurationMS != 0 { // a zero duration is stored as none
				durs = append(durs, e.DurationMS)
			}
			users[e.UserID] = true
		}
	}
	row := res.Rows[0]
	if row[0] != int64(60) || math.Abs(num(row[1])-quantile(durs, 0.95)) > 1e-9 || row[2] != int64(len(users)) || num(row[3]) != 563 {
		t.Errorf("errors over every day: %v, want n 60, p95 %v, users %d, max 563", row, quantile(durs, 0.95), len(users))
	}
	// Rows (no aggregation) of archived days, newest first, with their columns.
	res, err = runIn(all, `day1 | where duration_ms >= 591 | fields ts, service, tier, message`)
	if err != nil {
		t.Fatal(err)
	}
	if got := fmt.Sprint(res.Rows); got != fmt.Sprintf("[[%d svc-2 free checkout 59 of day1]]", day0.AddDate(0, 0, 1).Add(59*time.Minute).UnixMicro()) {
		t.Errorf("archived rows: %s", got)
	}

	// Spoil the archived files: a range of hot days still answers (it
	// opens none), one reaching an archived day fails on the file.
	for _, f := range files {
		if err := os.WriteFile(f, []byte("not parquet"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := byKey(hot, `| stats count() by service`); fmt.Sprint(got) != "map[svc-0:40 svc-1:40 svc-2:40]" {
		t.Errorf("hot days with spoiled archive files: %v", got)
	}
	if _, err := runIn(store.Range{From: archived.To - 1, To: hot.To}, `| stats count() by service`); err == nil || !strings.Contains(err.Error(), "parquet") {
		t.Errorf("a range reaching archived day 1 with its file spoiled: %v, want the file's error", err)
	}
}

// coldSpy is an executor with an archive: it records the columns the
// pipeline asked the archive for and the statement it was given.
type coldSpy struct {
	src  string
	cols []string
	sql  string
	args []any
}

var tableColumns = strings.Split("project_id ts received_at kind level service env release host trace_hi trace_lo span_id parent_span_id user_id anonymous_id session_id request_id name message http_method endpoint http_status duration_ms error_type error_code fingerprint retry_attempt attr_keys attr_values", " ")

func (c *coldSpy) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }
func (c *coldSpy) Run(_ context.Context, q sqlq.Query, _ func(sqlq.Scanner) error) error {
	c.sql, c.args = q.SQL, q.Args
	return nil
}
func (c *coldSpy) ArchivedEvents(_ context.Context, _, _, _ int64, use func(string) bool) ([]string, string, error) {
	c.cols = nil
	for _, col := range tableColumns {
		if col == "project_id" || col == "ts" || use(col) {
			c.cols = append(c.cols, col)
		}
	}
	return c.cols, c.src, nil
}

// TestArchiveReadsNamedColumns: the archived part of the statement reads
// only the columns the pipeline names (those of its search, pipes and
// output), both parts filtered by project, range and search with bound
// values; with no archived day in range the statement is the plain one.
func TestArchiveReadsNamedColumns(t *testing.T) {
	cases := []struct{ q, cols string }{
		{`level:error | stats count() as n, p95(duration_ms), uniq(user_id) by service`, "project_id ts level service user_id duration_ms"},
		{`| stats count() by bin(5m)`, "project_id ts"},
		{`status:429 | stats count() by tier`, "project_id ts http_status attr_keys attr_values"},
		{`| where duration_ms > 250`, "project_id ts level service message duration_ms"},
		{`| extract "user=<user> took <ms>ms" | stats p95(ms) by user`, "project_id ts message"},
		{`| top 3 trace_id`, "project_id ts trace_hi trace_lo"},
	}
	for _, tc := range cases {
		p, err := pipes.Parse(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		spy := &coldSpy{src: "read_parquet(['/archive/x.parquet'])"}
		if _, err := (pipes.Query{Pipeline: p, ProjectID: 7, From: 100, To: 200}).Run(context.Background(), spy); err != nil {
			t.Fatalf("%q: %v", tc.q, err)
		}
		want := strings.Fields(tc.cols)
		slices.SortFunc(want, func(a, b string) int { return slices.Index(tableColumns, a) - slices.Index(tableColumns, b) })
		if got := strings.Join(spy.cols, " "); got != strings.Join(want, " ") {
			t.Errorf("%q reads %s from the archive, want %s", tc.q, got, strings.Join(want, " "))
		}
		list := strings.Join(spy.cols, ", ")
		hot := "SELECT " + list + " FROM events WHERE project_id = ? AND ts >= ? AND ts < ?"
		cold := " UNION ALL SELECT " + list + " FROM read_parquet(['/archive/x.parquet']) WHERE project_id = ? AND ts >= ? AND ts < ?"
		if strings.Count(spy.sql, hot) != 1 || strings.Count(spy.sql, cold) != 1 || strings.Count(spy.sql, "UNION") != 1 {
			t.Errorf("%q: statement %s", tc.q, spy.sql)
		}
		projects := 0
		for _, a := range spy.args {
			if a == any(int64(7)) {
				projects++
			}
		}
		if n := strings.Count(spy.sql, "?"); n != len(spy.args) || projects != 2 {
			t.Errorf("%q: %d placeholders, %d args %v (the project bound in both parts)", tc.q, n, len(spy.args), spy.args)
		}
		spy = &coldSpy{} // no archived day in range
		if _, err := (pipes.Query{Pipeline: p, ProjectID: 7, From: 100, To: 200}).Run(context.Background(), spy); err != nil {
			t.Fatal(err)
		}
		plain, err := pipes.Compile(p, sqlq.DuckDB{}, 7, 100, 200)
		if err != nil {
			t.Fatal(err)
		}
		if spy.sql != plain.Query.SQL {
			t.Errorf("%q without archived days: %s, want the plain %s", tc.q, spy.sql, plain.Query.SQL)
		}
	}
}

var _ pipes.Sampling = (*duckdb.Store)(nil)

// TestSampledCountsAreEstimates: where a project's sampling kept a tenth
// of some events (lore.sample_rate 0.1), count(), top's count and rate()
// weight each kept event by 1/rate — the histogram's estimate, archived
// days included — and their columns say Estimated; counts of groups an
// earlier pipe made, and ranges with no sampled day, stay plain.
func TestSampledCountsAreEstimates(t *testing.T) {
	ctx := context.Background()
	day0 := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	var evs []event.Event
	for d := range 3 {
		for i := range 90 {
			e := event.Event{ProjectID: 1, Kind: event.KindLog, Level: "info", Service: fmt.Sprint("svc-", i%3),
				TS: day0.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute).UnixMicro(), Message: "checkout"}
			if d < 2 && i%3 == 0 { // svc-0 on days 0 and 1: a tenth kept
				e.Attributes = []event.Attr{{Key: store.AttrSampleRate, Value: "0.1"}}
			}
			evs = append(evs, e)
		}
	}
	s, _ := openArchiving(t, evs)
	if _, err := s.DeleteEvents(ctx, 1, event.KindLog, day0.AddDate(0, 0, 1).UnixMicro()); err != nil { // day 0 archived
		t.Fatal(err)
	}
	runIn := func(from, to int64, text string) pipes.Result {
		t.Helper()
		res, err := runOn(t, s, from, to, text)
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		return res
	}
	all := store.Range{From: day0.UnixMicro(), To: day0.AddDate(0, 0, 3).UnixMicro()}
	h, err := events.Reader{Ex: s}.Histogram(ctx, store.HistogramRequest{ProjectID: 1, Range: all, Step: dayUS, SplitBy: "service"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{}
	for _, b := range h.Buckets {
		for v, n := range b.By {
			if e, ok := b.ByEstimate[v]; ok && b.Sampled > 0 {
				want[v] += e
			} else {
				want[v] += float64(n)
			}
		}
	}
	if want["svc-0"] != 630 || want["svc-1"] != 90 {
		t.Fatalf("the histogram's estimates %v, want svc-0 630 (60 kept of a tenth, 30 unsampled), the others 90", want)
	}
	res := runIn(all.From, all.To, `| stats count() as n, rate() as r by service`)
	if !res.Columns[1].Estimated || !res.Columns[2].Estimated || res.Columns[0].Estimated {
		t.Errorf("columns %+v: n and r estimated, service not", res.Columns)
	}
	got := map[string]float64{}
	for _, row := range res.Rows {
		got[row[0].(string)] = num(row[1])
		if r := num(row[2]); math.Abs(r-num(row[1])/float64(3*dayUS/1e6)) > 1e-9 {
			t.Errorf("rate %v of %v", r, row)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("estimated counts by service %v, the histogram's %v", got, want)
	}
	if top := runIn(all.From, all.To, `| top 1 service`); fmt.Sprint(top.Rows) != "[[svc-0 630]]" || !top.Columns[1].Estimated {
		t.Errorf("top 1 service: %v %+v, want svc-0 by its estimate", top.Rows, top.Columns)
	}
	if groups := runIn(all.From, all.To, `| stats count() by service | stats count() as groups`); fmt.Sprint(groups.Rows) != "[[3]]" || groups.Columns[0].Estimated {
		t.Errorf("a count of groups: %v %+v, want 3, not estimated", groups.Rows, groups.Columns)
	}
	// Day 2 holds no sampled event: plain counts, nothing marked.
	plain := runIn(all.From+2*dayUS, all.To, `| stats count() as n by service`)
	if plain.Columns[1].Estimated || len(plain.Rows) != 3 {
		t.Errorf("day 2: %v %+v, want 3 services, not estimated", plain.Rows, plain.Columns)
	}
	for _, row := range plain.Rows {
		if row[1] != int64(30) {
			t.Errorf("day 2: %v, want 30 events of each service", plain.Rows)
		}
	}
}
