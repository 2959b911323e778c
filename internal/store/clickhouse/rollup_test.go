package clickhouse

import (
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// TestRollups checks the narrative rollups (rollup.go) on a real
// clickhouse-server: the service series, error groups and release starts
// read from them (they must serve: asserted) answer exactly what the
// events give by SQL alone, with minutes filled by several batches, late
// rows into an old minute, a recovered unrecorded batch, an erasure,
// retention (a mutation with a split minute, and a whole day dropped),
// and after the migration backfilled an older database; and the sampled
// days tell the counts when to weight.
func TestRollups(t *testing.T) {
	srv := chtest.Start(t)
	dbURL := func(db string) string { return "clickhouse://" + srv.Addr + "/" + db }
	t.Run("Lifecycle", func(t *testing.T) { testRollupLifecycle(t, dbURL("rollup_lifecycle")) })
	t.Run("Backfill", func(t *testing.T) { testRollupBackfill(t, dbURL("rollup_backfill")) })
}

// TestRollupsOnCluster runs the same checks on a database sharded over
// two servers: each shard's view rolls up its own events, read through
// Distributed tables.
func TestRollupsOnCluster(t *testing.T) {
	c := chtest.StartCluster(t, 2)
	t.Run("Lifecycle", func(t *testing.T) { testRollupLifecycle(t, c.StoreURL("rollup_lifecycle")) })
	t.Run("Backfill", func(t *testing.T) { testRollupBackfill(t, c.StoreURL("rollup_backfill")) })
}

const minute = int64(minuteMicros)

// rollupEvents are n events of two projects over the first hour of days
// 0 and 1: spans and request logs with durations and statuses, error
// rows of a few groups with messages and traces, retries, releases,
// rows without a service, and users u0–u4.
func rollupEvents(rng *rand.Rand, n int) []event.Event {
	svcs := []string{"api", "db", "logs-only", ""}
	out := make([]event.Event, 0, n)
	for range n {
		e := event.Event{
			ProjectID: 1 + int64(rng.IntN(10)/9),
			TS:        t0 + int64(rng.IntN(2))*dayMicros + rng.Int64N(60*minute),
			Service:   svcs[rng.IntN(len(svcs))],
			Level:     []string{"info", "warn", "error", "fatal"}[rng.IntN(4)],
			UserID:    fmt.Sprintf("u%d", rng.IntN(5)),
			Release:   []string{"", "v1", "v2"}[rng.IntN(3)],
			Endpoint:  []string{"", "/a", "/b"}[rng.IntN(3)],
		}
		switch k := rng.IntN(10); {
		case e.Service == "logs-only" || k < 4:
			e.Kind = []string{event.KindLog, event.KindLog, event.KindError, event.KindEvent}[rng.IntN(4)]
		default:
			e.Kind = event.KindSpan
		}
		if rng.IntN(3) > 0 {
			e.DurationMS = float64(rng.IntN(100000)) / 1000
		}
		if rng.IntN(2) == 0 {
			e.HTTPStatus = []int32{200, 404, 429, 500, 503}[rng.IntN(5)]
		}
		if rng.IntN(5) == 0 {
			e.RetryAttempt = int32(rng.IntN(3))
		}
		e.ErrorType = []string{"", "Timeout", "TypeError"}[rng.IntN(3)]
		if rng.IntN(2) == 0 {
			e.Fingerprint = "fp-" + e.ErrorType
		}
		e.Message = fmt.Sprintf("%s failed for %s (%d)", e.ErrorType, e.UserID, rng.IntN(3))
		if rng.IntN(2) == 0 {
			e.TraceID = event.TraceIDFromHalves(rng.Uint64(), rng.Uint64())
		}
		out = append(out, e)
	}
	return out
}

// checkRollups compares, over ranges on minutes of both days and
// projects, what the rollups answer with what the events give by SQL
// alone, and requires the rollups to have answered.
func checkRollups(t *testing.T, when string, s *Store) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []int64{1, 2} {
		for _, r := range []store.Range{
			{From: t0, To: t0 + 2*dayMicros},
			{From: t0 + 10*minute, To: t0 + 40*minute},
			{From: t0 + dayMicros, To: t0 + dayMicros + 60*minute},
		} {
			name := fmt.Sprintf("%s: project %d [%d, %d) min", when, p, (r.From-t0)/minute, (r.To-t0)/minute)
			step := minute
			if r.To-r.From > 1000*minute {
				step = 60 * minute
			}
			req := store.ServiceSeriesRequest{ProjectID: p, Range: r, Step: step}
			if _, ok, err := s.RolledServiceSeries(ctx, req); err != nil || !ok {
				t.Fatalf("%s: RolledServiceSeries = %v, %v: the rollup did not serve", name, ok, err)
			}
			if _, ok, err := s.RolledErrorGroups(ctx, p, r, r.From-30*minute, 100); err != nil || !ok {
				t.Fatalf("%s: RolledErrorGroups = %v, %v: the rollup did not serve", name, ok, err)
			}
			if _, ok, err := s.RolledReleaseStarts(ctx, p, r); err != nil || !ok {
				t.Fatalf("%s: RolledReleaseStarts = %v, %v: the rollup did not serve", name, ok, err)
			}
			for _, q := range []struct {
				what string
				run  func(sqlq.Executor) (any, error)
			}{
				{"series", func(ex sqlq.Executor) (any, error) {
					return services.Series{ProjectID: p, Range: r, Step: step}.Run(ctx, ex)
				}},
				{"series by 5 minutes", func(ex sqlq.Executor) (any, error) {
					return services.Series{ProjectID: p, Range: r, Step: 5 * minute}.Run(ctx, ex)
				}},
				{"error groups", func(ex sqlq.Executor) (any, error) {
					return services.ErrorGroups{ProjectID: p, Range: r, Since: r.From - 30*minute, Limit: 100}.Run(ctx, ex)
				}},
				{"release starts", func(ex sqlq.Executor) (any, error) {
					return services.ReleaseStarts{ProjectID: p, Range: r, Since: r.From}.Run(ctx, ex)
				}},
			} {
				got, err := q.run(s)
				if err != nil {
					t.Fatalf("%s: %s: %v", name, q.what, err)
				}
				want, err := q.run(sqlOnly{s})
				if err != nil {
					t.Fatalf("%s: %s by SQL: %v", name, q.what, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: %s from the rollups\n%+v\nby SQL\n%+v", name, q.what, got, want)
				}
				if v := reflect.ValueOf(want); v.Len() == 0 && p == 1 {
					t.Errorf("%s: %s: no answer to compare", name, q.what)
				}
			}
		}
	}
	checkFacets(t, when, s)
	if n := ints(t, s, staleSQL(1, t0-dayMicros, t0+3*dayMicros)); n[0] != 0 {
		t.Errorf("%s: %d stale days left", when, n[0])
	}
}

func testRollupLifecycle(t *testing.T, u string) {
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(3, 4))
	evs := rollupEvents(rng, 3000)
	s := mustOpen(t, u)
	// Minutes filled by several batches, out of order.
	for i := range 3 {
		if err := s.Append(ctx, store.Batch{Seq: uint64(i + 1), Events: evs[i*1000 : (i+1)*1000]}); err != nil {
			t.Fatal(err)
		}
	}
	checkRollups(t, "appended", s)

	// Late rows into an old minute.
	late := rollupEvents(rng, 200)
	for i := range late {
		late[i].TS = t0 + 3*minute + int64(i)
	}
	if err := s.Append(ctx, store.Batch{Seq: 4, Events: late}); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, "late rows", s)

	// A crash between a batch's rows and its record: the next Open's
	// recovery deletes the rows, which the views had rolled up.
	appendRowsOnly(t, s, store.Batch{Seq: 5, Events: rollupEvents(rng, 300)})
	s.Close()
	s = mustOpen(t, u)
	if n := count(t, s, " WHERE seq = 5"); n != 0 {
		t.Fatalf("%d rows of the unrecorded batch after recovery", n)
	}
	checkRollups(t, "recovered", s)

	// Erasure: u1's rows go, and with them their messages from the
	// error groups.
	if _, err := s.ErasePerson(ctx, 1, "u1"); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, "erased u1", s)
	if n := ints(t, s, "SELECT count() FROM (SELECT tupleElement(minMerge(first_message), 2) AS m FROM rollup_errors WHERE project_id = 1 GROUP BY minute, service, error_type, k, endpoint, release, kind) WHERE position(m, 'for u1 ') > 0"); n[0] != 0 {
		t.Errorf("%d rollup rows still give u1's messages after the erasure", n[0])
	}

	// Retention: project 1's logs before the middle of minute 20 (a
	// mutation, the minute recomputed), then project 2's before day 1,
	// of every kind (whole minutes).
	if _, err := s.DeleteEvents(ctx, 1, event.KindLog, t0+20*minute+30_000_000); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, "logs of project 1 expired", s)
	for _, k := range []string{event.KindLog, event.KindSpan, event.KindError, event.KindEvent} {
		if _, err := s.DeleteEvents(ctx, 2, k, t0+dayMicros); err != nil {
			t.Fatal(err)
		}
	}
	checkRollups(t, "day 0 of project 2 expired", s)
	// A day of project 3's logs alone goes whole (on one server, its
	// partitions dropped), and its rollups with it.
	day5 := rollupEvents(rng, 100)
	for i := range day5 {
		day5[i].ProjectID, day5[i].Kind, day5[i].TS = 3, event.KindLog, t0+5*dayMicros+int64(i)*minute/10
	}
	if err := s.Append(ctx, store.Batch{Seq: 6, Events: day5}); err != nil {
		t.Fatal(err)
	}
	if n := ints(t, s, "SELECT count() FROM rollup_minutes WHERE project_id = 3"); n[0] == 0 {
		t.Fatal("no rollup rows of project 3's day")
	}
	if _, err := s.DeleteEvents(ctx, 3, event.KindLog, t0+6*dayMicros); err != nil {
		t.Fatal(err)
	}
	for _, tb := range []string{"rollup_minutes", "rollup_errors", "rollup_releases"} {
		if n := ints(t, s, "SELECT count() FROM "+tb+" WHERE project_id = 3"); n[0] != 0 {
			t.Errorf("%d rows of %s of project 3 after its day expired", n[0], tb)
		}
	}

	// A node that died recomputing minutes (its rollup rows deleted, not
	// yet inserted again) leaves its mark: reads of the day read the
	// events and start a repair, which recomputes the day and ends the
	// mark; the next Open repairs what is left the same way.
	deadRecomputation := func(token int) {
		t.Helper()
		if err := s.exec(ctx, s.db, fmt.Sprintf("INSERT INTO rollup_stale VALUES (1, %d, %d, 1, now() - INTERVAL 1 HOUR)", t0/dayMicros, token)); err != nil {
			t.Fatal(err)
		}
		if err := s.mutate(ctx, "rollup_minutes", "DELETE", fmt.Sprintf("project_id = 1 AND minute = %d", t0+7*minute)); err != nil {
			t.Fatal(err)
		}
	}
	deadRecomputation(42)
	day0 := store.Range{From: t0, To: t0 + dayMicros}
	if _, ok, err := s.RolledServiceSeries(ctx, store.ServiceSeriesRequest{ProjectID: 1, Range: day0, Step: minute}); err != nil || ok {
		t.Errorf("RolledServiceSeries of a stale day = %v, %v; want the events read instead", ok, err)
	}
	got, err := services.Series{ProjectID: 1, Range: day0, Step: minute}.Run(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if want, err := (services.Series{ProjectID: 1, Range: day0, Step: minute}).Run(ctx, sqlOnly{s}); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("series of a stale day = %+v, by SQL %+v (%v)", got, want, err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		if n := ints(t, s, staleSQL(1, t0, t0+dayMicros)); n[0] == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the stale day was not repaired in the background within 30 s")
		}
	}
	checkRollups(t, "repaired in the background", s)
	deadRecomputation(43)
	s.Close()
	s = mustOpen(t, u)
	checkRollups(t, "repaired at Open", s)

	// Sampled days: none until an event sampling kept arrives.
	if w := s.SampleWeight(ctx, 1, t0, t0+2*dayMicros); w != "" {
		t.Errorf("SampleWeight without sampled events = %q, want none", w)
	}
	kept := event.Event{ProjectID: 1, TS: t0 + dayMicros + 5, Kind: event.KindLog, Message: "kept",
		Attributes: []event.Attr{{Key: store.AttrSampleRate, Value: "0.25"}}}
	if err := s.Append(ctx, store.Batch{Seq: 7, Events: []event.Event{kept}}); err != nil {
		t.Fatal(err)
	}
	if w := s.SampleWeight(ctx, 1, t0, t0+dayMicros); w != "" {
		t.Errorf("SampleWeight of day 0 = %q, want none (the sampled event is on day 1)", w)
	}
	if w := s.SampleWeight(ctx, 1, t0, t0+2*dayMicros); w == "" {
		t.Error("SampleWeight of days 0 and 1 = none, want the weight (day 1 holds a sampled event)")
	}
}

func testRollupBackfill(t *testing.T, u string) {
	ctx := context.Background()
	var before []migration
	for _, m := range migrations() {
		if m.name != "narrative rollups" {
			before = append(before, m)
		}
	}
	old := oldBuild(t, u, before)
	evs := rollupEvents(rand.New(rand.NewPCG(5, 6)), 2000)
	if err := old.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s := mustOpen(t, u)
	checkRollups(t, "backfilled", s)
	// A second run (a crash before the migration's record) recomputes
	// the same rows.
	if err := backfillRollups(ctx, s); err != nil {
		t.Fatal(err)
	}
	checkRollups(t, "backfilled twice", s)
}

// checkFacets compares the facets of the fields the rollups key, over a
// range on minutes and one ending inside minutes, with the events'.
func checkFacets(t *testing.T, when string, s *Store) {
	t.Helper()
	ctx := context.Background()
	for _, r := range []store.Range{
		{From: t0, To: t0 + 2*dayMicros},
		{From: t0 + 10*minute + 17_000_123, To: t0 + dayMicros + 40*minute - 3_000_000},
	} {
		for _, c := range []struct{ field, query string }{
			{"service", ""}, {"kind", ""}, {"level", ""}, {"http_status", ""},
			{"service", "level:error"}, {"http_status", "service:api -kind:span"},
			{"level", "http_status:>=500 OR service:db*"}, {"kind", "-http_status:404"},
		} {
			f := c.field
			q, err := query.Parse(c.query)
			if err != nil {
				t.Fatal(err)
			}
			req := store.FacetsRequest{ProjectID: 1, Range: r, Field: f, Limit: 3, Query: q}
			if _, ok, err := s.RolledFacets(ctx, req, 3); err != nil || !ok {
				t.Fatalf("%s: RolledFacets(%s, %q) = %v, %v: the rollup did not serve", when, f, c.query, ok, err)
			}
			got, err := events.Reader{Ex: s}.Facets(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			want, err := events.Reader{Ex: sqlOnly{s}}.Facets(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) || want.Total == 0 {
				t.Errorf("%s: facets of %s where %q over [%d, %d) from the rollups\n%+v\nby SQL\n%+v", when, f, c.query, r.From, r.To, got, want)
			}
		}
	}
}

// TestRollupsCurrentRelease runs TestRollups' checks on a current
// ClickHouse release (chDB behind chtest's HTTP front): the views, the
// aggregate states and the mutations of the recomputations as 18.16
// runs them.
func TestRollupsCurrentRelease(t *testing.T) {
	srv := chtest.StartCurrent(t)
	dbURL := func(db string) string { return "clickhouse://" + srv.Addr + "/" + db + "?query_timeout=2m" }
	t.Run("Lifecycle", func(t *testing.T) { testRollupLifecycle(t, dbURL("rollup_lifecycle")) })
	t.Run("Backfill", func(t *testing.T) { testRollupBackfill(t, dbURL("rollup_backfill")) })
}
