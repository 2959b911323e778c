package clickhouse

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// TestIDRanges checks the id ranges (idindex.go) on a real
// clickhouse-server: journeys by trace, user and session answer what
// they answer without them, across days, after a recovery, retention and
// erasure, and after the migration backfilled an older database; and
// they read less.
func TestIDRanges(t *testing.T) {
	srv := chtest.Start(t)
	dbURL := func(db string) string { return "clickhouse://" + srv.Addr + "/" + db }
	t.Run("Journeys", func(t *testing.T) { testIDJourneys(t, dbURL("id_journeys")) })
	t.Run("Lifecycle", func(t *testing.T) { testIDLifecycle(t, dbURL("id_lifecycle")) })
	t.Run("Backfill", func(t *testing.T) { testIDBackfill(t, dbURL("id_backfill")) })
}

// TestIDRangesOnCluster runs the same checks but the marks' on a
// database sharded over two servers: the view is on the entry server's
// Distributed events table, and id_ranges a table of that server.
func TestIDRangesOnCluster(t *testing.T) {
	c := chtest.StartCluster(t, 2)
	t.Run("Lifecycle", func(t *testing.T) { testIDLifecycle(t, c.StoreURL("id_lifecycle")) })
	t.Run("Backfill", func(t *testing.T) { testIDBackfill(t, c.StoreURL("id_backfill")) })
}

// sqlOnly hides the store's id filter: journeys by SQL alone.
type sqlOnly struct{ sqlq.Executor }

var (
	idTrace, _ = event.ParseTraceID("4bf92f3577b34da6a3ce929d0e0e4736")
	idOther, _ = event.ParseTraceID("00000000000000000000000000000abc")
)

// idEvents are project 1's journeys over days 0 and 1 (and project 2's
// event of the same trace): the trace crosses midnight, as a span on
// day 0, a log on day 0 and a log on day 1; alice browses anonymously as
// anon-a, is identified, and comes back 26 hours later; her session s-1
// also holds a span without her ids.
func idEvents() []event.Event {
	at := func(d, h, m int64) int64 { return t0 + d*dayMicros + h*hourMicros + m*60_000_000 }
	return []event.Event{
		{ProjectID: 1, Kind: event.KindSpan, TS: at(0, 23, 59), TraceID: idTrace, Service: "api", Name: "GET /cart", Message: "span day 0"},
		{ProjectID: 1, Kind: event.KindLog, TS: at(0, 23, 59) + 1, TraceID: idTrace, Service: "api", Message: "log day 0"},
		{ProjectID: 1, Kind: event.KindLog, TS: at(1, 0, 1), TraceID: idTrace, Service: "worker", Message: "log day 1"},
		{ProjectID: 2, Kind: event.KindLog, TS: at(1, 0, 2), TraceID: idTrace, Service: "api", Message: "project 2's"},
		{ProjectID: 1, Kind: event.KindEvent, TS: at(0, 9, 0), Name: "Viewed", AnonymousID: "anon-a", SessionID: "s-1", Message: "anonymous view"},
		{ProjectID: 1, Kind: event.KindEvent, TS: at(0, 9, 5), Name: "Signed Up", AnonymousID: "anon-a", UserID: "alice", SessionID: "s-1", Message: "signed up"},
		{ProjectID: 1, Kind: event.KindSpan, TS: at(0, 9, 6), SessionID: "s-1", TraceID: idOther, Service: "web", Message: "session span"},
		{ProjectID: 1, Kind: event.KindLog, TS: at(1, 11, 0), UserID: "alice", SessionID: "s-2", Message: "alice is back"},
	}
}

// filler is n events of project 1 without ids, spread over days 0 and 1.
func filler(n int) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		out[i] = event.Event{ProjectID: 1, Kind: event.KindLog, TS: t0 + int64(i)*(2*dayMicros/int64(n)), Service: "api", Message: "filler"}
	}
	return out
}

var idJourneys = []store.JourneyRequest{
	{By: store.ByTrace, ID: idTrace.String()},
	{By: store.ByTrace, ID: idOther.String()},
	{By: store.ByTrace, ID: "00000000000000000000000000000def"},
	{By: store.ByUser, ID: "alice"},
	{By: store.ByUser, ID: "anon-a"},
	{By: store.BySession, ID: "s-1"},
	{By: store.BySession, ID: "s-2"},
	{By: store.ByTrace, ID: idTrace.String(), Range: store.Range{From: t0 + dayMicros, To: t0 + 2*dayMicros}},
	{By: store.ByUser, ID: "alice", Range: store.Range{From: t0 + 9*hourMicros + 5*60_000_000, To: t0 + dayMicros}},
}

// sameJourneys requires each of idJourneys of project 1 to give the same
// events through the id ranges as by SQL alone, and returns how many
// each found.
func sameJourneys(t *testing.T, s *Store) []int {
	t.Helper()
	ctx := context.Background()
	var counts []int
	for _, r := range idJourneys {
		r.ProjectID = 1
		if r.Range == (store.Range{}) {
			r.Range = store.Range{From: t0, To: t0 + 3*dayMicros}
		}
		got, err := events.Reader{Ex: s}.Journey(ctx, r)
		if err != nil {
			t.Fatalf("Journey(%+v): %v", r, err)
		}
		want, err := events.Reader{Ex: sqlOnly{s}}.Journey(ctx, r)
		if err != nil {
			t.Fatalf("Journey(%+v) by SQL alone: %v", r, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Journey(%s %s, %+v) = %q, by SQL alone %q", r.By, r.ID, r.Range, msgs(got), msgs(want))
		}
		counts = append(counts, len(got))
	}
	return counts
}

func msgs(evs []event.Event) []string {
	var out []string
	for _, e := range evs {
		out = append(out, e.Message)
	}
	return out
}

// selectedMarks is the server's count of the index marks (8,192 rows
// each) its reads have selected so far.
func selectedMarks(t *testing.T, s *Store) int64 {
	t.Helper()
	return ints(t, s, "SELECT toInt64(sum(value)) FROM system.events WHERE event = 'SelectedMarks'")[0]
}

func testIDJourneys(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: filler(160_000)}); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, store.Batch{Seq: 2, Events: idEvents()}); err != nil {
		t.Fatal(err)
	}
	// idEvents' counts: the trace's 3 events of project 1, the other
	// trace's span, no event of an unknown trace, alice's 3 (with her
	// anonymous view) by her user id or by anon-a, s-1's 3 and s-2's 1;
	// the trace on day 1, alice from her sign-up to the end of day 0.
	if got, want := sameJourneys(t, s), []int{3, 1, 0, 3, 3, 3, 1, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("journeys found %v events, want %v", got, want)
	}

	// The trace's ranges: one a day, around its events.
	rs, ok, err := s.ReadIDRanges(ctx, 1, store.Range{From: t0, To: t0 + 3*dayMicros}, store.IDTrace, idTrace.String())
	e := idEvents()
	if want := []store.Range{{From: e[0].TS, To: e[1].TS + 1}, {From: e[2].TS, To: e[2].TS + 1}}; err != nil || !ok || !slices.Equal(rs, want) {
		t.Errorf("ReadIDRanges(trace) = %v, %v, %v; want %v", rs, ok, err, want)
	}
	// An upper-case trace id is the same trace; the zero trace and an
	// unknown kind are not looked up.
	if rs2, ok, err := s.ReadIDRanges(ctx, 1, store.Range{From: t0, To: t0 + 3*dayMicros}, store.IDTrace, "4BF92F3577B34DA6A3CE929D0E0E4736"); err != nil || !ok || !slices.Equal(rs2, rs) {
		t.Errorf("ReadIDRanges(upper-case trace) = %v, %v, %v; want %v", rs2, ok, err, rs)
	}
	if _, ok, err := s.ReadIDRanges(ctx, 1, store.Range{From: t0, To: t0 + 3*dayMicros}, store.IDTrace, "00000000000000000000000000000000"); ok || err != nil {
		t.Errorf("ReadIDRanges(zero trace) ok = %v, %v; want not ok (the rows without a trace have it)", ok, err)
	}

	// The journey of the trace reads the marks of its two ranges (and
	// of the id ranges' parts), not the project's 160,000 rows over two
	// days (20 marks).
	r := store.JourneyRequest{ProjectID: 1, By: store.ByTrace, ID: idTrace.String(), Range: store.Range{From: t0, To: t0 + 2*dayMicros}}
	read := func(ex sqlq.Executor) int64 {
		before := selectedMarks(t, s)
		if _, err := (events.Reader{Ex: ex}).Journey(ctx, r); err != nil {
			t.Fatal(err)
		}
		return selectedMarks(t, s) - before
	}
	plain, narrowed := read(sqlOnly{s}), read(s)
	t.Logf("trace journey: %d marks read by SQL alone, %d through the id ranges", plain, narrowed)
	if plain < 20 || 3*narrowed > plain {
		t.Errorf("trace journey: %d marks read by SQL alone, %d through the id ranges; want at least 20 and a third of it at most", plain, narrowed)
	}

	// A user seen in more hours than maxIDRanges: the ranges are joined
	// across the shortest gaps, and cover every one of her events.
	var many []event.Event
	for h := range 3 * maxIDRanges {
		many = append(many, event.Event{ProjectID: 1, Kind: event.KindLog, TS: t0 + int64(h)*hourMicros + int64(h%5)*60_000_000, UserID: "bob", Message: fmt.Sprint("bob ", h)})
	}
	if err := s.Append(ctx, store.Batch{Seq: 3, Events: many}); err != nil {
		t.Fatal(err)
	}
	rs, ok, err = s.ReadIDRanges(ctx, 1, store.Range{From: t0, To: t0 + 3*dayMicros}, store.IDUser, "bob")
	if err != nil || !ok || len(rs) != maxIDRanges {
		t.Fatalf("ReadIDRanges(bob) = %v, %v, %v; want %d ranges", rs, ok, err, maxIDRanges)
	}
	for _, e := range many {
		if !slices.ContainsFunc(rs, func(r store.Range) bool { return r.From <= e.TS && e.TS < r.To }) {
			t.Errorf("ReadIDRanges(bob) = %v: no range holds %s at %d", rs, e.Message, e.TS)
		}
	}
	got, err := events.Reader{Ex: s}.Journey(ctx, store.JourneyRequest{ProjectID: 1, By: store.ByUser, ID: "bob", Range: store.Range{From: t0, To: t0 + 3*dayMicros}})
	if err != nil || len(got) != len(many) {
		t.Errorf("bob's journey: %d events, %v; want %d", len(got), err, len(many))
	}
}

func testIDLifecycle(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: idEvents()}); err != nil {
		t.Fatal(err)
	}
	// A crash between a batch's rows and its record: the recovery of the
	// next Open deletes the rows, whose ranges stay (wider, still right).
	late := []event.Event{
		{ProjectID: 1, Kind: event.KindLog, TS: t0 + 2*dayMicros, TraceID: idTrace, Message: "replayed trace log"},
		{ProjectID: 1, Kind: event.KindLog, TS: t0 + 2*dayMicros + 1, UserID: "alice", Message: "replayed alice log"},
	}
	appendRowsOnly(t, s, store.Batch{Seq: 2, Events: late})
	s.Close()
	s = mustOpen(t, u)
	if n := count(t, s, " WHERE seq = 2"); n != 0 {
		t.Fatalf("%d rows of the unrecorded batch after recovery", n)
	}
	if got, want := sameJourneys(t, s), []int{3, 1, 0, 3, 3, 3, 1, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("after recovery, journeys found %v events, want %v", got, want)
	}
	// The pipeline's replay of the batch.
	if err := s.Append(ctx, store.Batch{Seq: 2, Events: late}); err != nil {
		t.Fatal(err)
	}
	if got, want := sameJourneys(t, s), []int{4, 1, 0, 4, 4, 3, 1, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("after the replay, journeys found %v events, want %v", got, want)
	}

	// Retention of project 1's logs before day 1 (the trace's day-0 log
	// and nothing else): the trace's day-0 span keeps its range, the
	// logs' ranges of day 0 go.
	if _, err := s.DeleteEvents(ctx, 1, event.KindLog, t0+dayMicros); err != nil {
		t.Fatal(err)
	}
	if got, want := sameJourneys(t, s), []int{3, 1, 0, 4, 4, 3, 1, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("after retention, journeys found %v events, want %v", got, want)
	}
	if n := ints(t, s, fmt.Sprintf("SELECT count() FROM id_ranges WHERE project_id = 1 AND kind = 'log' AND hour < %d", dayMicros/hourMicros*(t0/dayMicros+1))); n[0] != 0 {
		t.Errorf("%d ranges of project 1's logs of day 0 after retention", n[0])
	}
	if n := ints(t, s, "SELECT count() FROM id_ranges WHERE project_id = 1 AND kind = 'span'"); n[0] == 0 {
		t.Error("retention of logs deleted the spans' ranges")
	}

	// Erasure of alice: none of her ids stays in the table; her session
	// s-1's span without her ids stays, and its range with it.
	if _, err := s.ErasePerson(ctx, 1, "alice"); err != nil {
		t.Fatal(err)
	}
	if n := ints(t, s, "SELECT count() FROM id_ranges WHERE has(arrayMap(x -> cityHash64(x), ['alice', 'anon-a', 's-2']), id)"); n[0] != 0 {
		t.Errorf("%d ranges of alice's ids after erasing her", n[0])
	}
	if got, want := sameJourneys(t, s), []int{3, 1, 0, 0, 0, 1, 0, 1, 0}; !slices.Equal(got, want) {
		t.Errorf("after erasing alice, journeys found %v events, want %v", got, want)
	}
	if rs, ok, err := s.ReadIDRanges(ctx, 1, store.Range{From: t0, To: t0 + 3*dayMicros}, store.IDSession, "s-1"); err != nil || !ok || len(rs) != 1 {
		t.Errorf("ReadIDRanges(s-1) after erasing alice = %v, %v, %v; want the range of its span", rs, ok, err)
	}
}

func testIDBackfill(t *testing.T, u string) {
	ctx := context.Background()
	// A database an older build (before the id ranges) stored events in.
	var before []migration
	for _, m := range migrations() {
		if m.name != "id ranges" {
			before = append(before, m)
		}
	}
	old := oldBuild(t, u, before)
	if err := old.Append(ctx, store.Batch{Seq: 1, Events: idEvents()}); err != nil {
		t.Fatal(err)
	}
	old.Close()
	s := mustOpen(t, u)
	if got, want := sameJourneys(t, s), []int{3, 1, 0, 3, 3, 3, 1, 1, 1}; !slices.Equal(got, want) {
		t.Errorf("after the backfill, journeys found %v events, want %v", got, want)
	}
	rs, ok, err := s.ReadIDRanges(ctx, 1, store.Range{From: t0, To: t0 + 3*dayMicros}, store.IDTrace, idTrace.String())
	if err != nil || !ok || len(rs) != 2 {
		t.Errorf("ReadIDRanges(trace) after the backfill = %v, %v, %v; want its two days", rs, ok, err)
	}
	// A second run of the backfill (a crash before the migration's
	// record) changes no range.
	if err := backfillIDRanges(ctx, s); err != nil {
		t.Fatal(err)
	}
	if again, _, err := s.ReadIDRanges(ctx, 1, store.Range{From: t0, To: t0 + 3*dayMicros}, store.IDTrace, idTrace.String()); err != nil || !slices.Equal(again, rs) {
		t.Errorf("ReadIDRanges(trace) after a second backfill = %v, %v; want %v", again, err, rs)
	}
}

func TestJoinNearest(t *testing.T) {
	f := func(rs []store.Range, n int, want []store.Range) {
		t.Helper()
		if got := joinNearest(slices.Clone(rs), n); !slices.Equal(got, want) {
			t.Errorf("joinNearest(%v, %d) = %v, want %v", rs, n, got, want)
		}
	}
	rs := []store.Range{{From: 0, To: 1}, {From: 10, To: 11}, {From: 12, To: 13}, {From: 50, To: 51}}
	f(rs, 4, rs)
	f(rs, 3, []store.Range{{From: 0, To: 1}, {From: 10, To: 13}, {From: 50, To: 51}})
	f(rs, 2, []store.Range{{From: 0, To: 13}, {From: 50, To: 51}})
	f(rs, 1, []store.Range{{From: 0, To: 51}})
	f(nil, 1, nil)
}
