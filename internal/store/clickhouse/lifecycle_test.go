package clickhouse

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/store"
)

// TestLifecycle runs retention and erasure on a real clickhouse-server.
func TestLifecycle(t *testing.T) {
	srv := chtest.Start(t)
	dbURL := func(db string) string { return "clickhouse://" + srv.Addr + "/" + db }
	t.Run("Retention", func(t *testing.T) { testRetention(t, dbURL("retention")) })
	t.Run("Erase", func(t *testing.T) { testErase(t, dbURL("erase")) })
}

// partitions lists the events table's active partitions (days).
func partitions(t *testing.T, s *Store) []int64 {
	t.Helper()
	return ints(t, s, "SELECT DISTINCT toInt64(partition) FROM system.parts WHERE active AND database = currentDatabase() AND table = 'events' ORDER BY 1")
}

func testRetention(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	if !sharedEvents(s) {
		t.Fatal("the ClickHouse store does not say it is shared: retention would run on every node")
	}
	day := func(d int) int64 { return t0 + int64(d)*dayMicros }
	// Days 0 and 1: project 1's logs only (day 0 all old; day 1 too).
	// Day 2: project 1's logs and errors, and project 2's logs. Day 5:
	// project 1's logs (recent).
	var evs []event.Event
	add := func(project int64, kind string, ts int64, n int) {
		for i := range n {
			evs = append(evs, event.Event{ProjectID: project, Kind: kind, TS: ts + int64(i), Message: fmt.Sprintf("%s %d", kind, i)})
		}
	}
	add(1, event.KindLog, day(0)+5, 3)
	add(1, event.KindLog, day(1)+5, 4)
	add(1, event.KindLog, day(2)+5, 5)
	add(1, event.KindError, day(2)+7, 2)
	add(2, event.KindLog, day(2)+9, 6)
	add(1, event.KindLog, day(5)+5, 7)
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFields(ctx, []store.FieldSeen{{ProjectID: 1, Hour: day(0), Field: "a", Type: "string", Count: 1},
		{ProjectID: 1, Hour: day(5), Field: "a", Type: "string", Count: 1}, {ProjectID: 2, Hour: day(0), Field: "a", Type: "string", Count: 1}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := partitions(t, s); !slices.Equal(got, []int64{day(0) / dayMicros, day(1) / dayMicros, day(2) / dayMicros, day(5) / dayMicros}) {
		t.Fatalf("days %v before retention", got)
	}
	// Project 1's logs before day 3: days 0 and 1 go whole (dropped),
	// day 2 keeps its errors and project 2's logs.
	n, err := s.DeleteEvents(ctx, 1, event.KindLog, day(3))
	if err != nil || n != 12 {
		t.Fatalf("DeleteEvents(1, log, day 3) = %d, %v; want 12", n, err)
	}
	if got := partitions(t, s); !slices.Equal(got, []int64{day(2) / dayMicros, day(5) / dayMicros}) {
		t.Errorf("days %v after retention, want days 0 and 1 dropped", got)
	}
	rows := func() string {
		return fmt.Sprint(ints(t, s, "SELECT count() FROM events WHERE project_id = 1 AND kind = 'log'"),
			ints(t, s, "SELECT count() FROM events WHERE project_id = 1 AND kind = 'error'"),
			ints(t, s, "SELECT count() FROM events WHERE project_id = 2"))
	}
	if got := rows(); got != "[7] [2] [6]" {
		t.Errorf("rows (project 1's logs, errors, project 2's) = %s, want [7] [2] [6]", got)
	}
	// Nothing more to delete: no mutation is sent.
	mutations := func() int64 {
		return ints(t, s, "SELECT count() FROM system.mutations WHERE database = currentDatabase()")[0]
	}
	before := mutations()
	if n, err := s.DeleteEvents(ctx, 1, event.KindLog, day(3)); err != nil || n != 0 {
		t.Errorf("DeleteEvents again = %d, %v; want 0", n, err)
	}
	if got := mutations(); got != before {
		t.Errorf("%d mutations after a retention with nothing to delete, want %d", got, before)
	}
	// The errors of day 2, beside rows that stay: a mutation.
	if n, err := s.DeleteEvents(ctx, 1, event.KindError, day(3)); err != nil || n != 2 {
		t.Errorf("DeleteEvents(1, error, day 3) = %d, %v; want 2", n, err)
	}
	if got := rows(); got != "[7] [0] [6]" {
		t.Errorf("rows after deleting the errors = %s, want [7] [0] [6]", got)
	}
	if n, err := s.DeleteSideBefore(ctx, 1, day(3), day(3)); err != nil || n == 0 {
		t.Fatalf("DeleteSideBefore(1, day 3) = %d, %v; want the old hours and days deleted", n, err)
	}
	if n, err := s.DeleteSideBefore(ctx, 1, day(3), day(3)); err != nil || n != 0 {
		t.Errorf("DeleteSideBefore(1, day 3) again = %d, %v; want 0", n, err)
	}
	if got := ints(t, s, "SELECT project_id * 100 + intDiv(hour - "+fmt.Sprint(t0)+", "+fmt.Sprint(dayMicros)+") FROM field_seen ORDER BY 1"); !slices.Equal(got, []int64{105, 200}) {
		t.Errorf("field catalogue hours (project*100+day) %v after DeleteSideBefore, want [105 200]", got)
	}

	// Records of old batches go, but each writer's last (recovery reads
	// it).
	if err := s.exec(ctx, s.db, "INSERT INTO batches (seq, events, committed_at, writer) VALUES (7, 1, now() - 864000, 5), (8, 1, now() - 864000, 5)"); err != nil {
		t.Fatal(err)
	}
	if err := s.Reindex(ctx); err != nil {
		t.Fatal(err)
	}
	if got := ints(t, s, "SELECT writer * 100 + seq FROM batches ORDER BY 1"); !slices.Equal(got, []int64{1, 508}) {
		t.Errorf("batches (writer*100+seq) after Reindex: %v, want [1 508]: the writers' last batches", got)
	}
	if last, err := s.LastSeq(ctx); err != nil || last != 1 {
		t.Errorf("LastSeq after pruning the batches = %d, %v; want 1", last, err)
	}

	// The Retainer over the store: per project and kind, by the
	// projects' settings (defaults: logs 30 days, errors 90).
	now := time.UnixMicro(day(40))
	r := lifecycle.NewRetainer(lifecycle.RetentionConfig{Settings: noSettings{}, Projects: projectIDs{1, 2}, Events: s, Manual: true,
		Now: func() time.Time { return now }})
	got, err := r.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "map[1:map[log:7] 2:map[log:6]]" {
		t.Errorf("retention at day 40 deleted %v, want project 1's 7 logs and project 2's 6", got)
	}
	if n := ints(t, s, "SELECT count() FROM events"); n[0] != 0 {
		t.Errorf("%d events left", n[0])
	}
}

// sharedEvents is internal/app's test of a shared events store.
func sharedEvents(s any) bool {
	sh, ok := s.(interface{ Shared() bool })
	return ok && sh.Shared()
}

type noSettings struct{}

func (noSettings) ProjectSettings(context.Context, int64, string) (json.RawMessage, error) {
	return []byte("{}"), nil
}

func (noSettings) SetProjectSettings(context.Context, int64, string, json.RawMessage) error {
	return nil
}

type projectIDs []int64

func (p projectIDs) ProjectIDs(context.Context) ([]int64, error) { return p, nil }

func testErase(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	evs := []event.Event{
		{ProjectID: 1, Kind: event.KindEvent, TS: t0 + 1, Name: "Signed Up", AnonymousID: "anon-1", SessionID: "s1"},
		{ProjectID: 1, Kind: event.KindLog, TS: t0 + 2, Message: "alice paid", UserID: "alice"},
		{ProjectID: 1, Kind: event.KindLog, TS: t0 + 3, Message: "alice browsed", UserID: "alice", AnonymousID: "anon-1", SessionID: "s2"},
		{ProjectID: 1, Kind: event.KindLog, TS: t0 + 4, Message: "bob paid", UserID: "bob", AnonymousID: "anon-2", SessionID: "s3"},
		{ProjectID: 2, Kind: event.KindLog, TS: t0 + 5, Message: "another alice", UserID: "alice", AnonymousID: "anon-1"},
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordFields(ctx, nil, []store.FieldValues{{ProjectID: 1, Day: t0, Field: "user_id", Examples: []string{"alice", "bob", "anon-1"}}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ErasePerson(ctx, 1, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if got.Events != 3 || fmt.Sprint(got.AnonymousIDs) != "[anon-1]" || fmt.Sprint(got.Sessions) != "[s1 s2]" {
		t.Errorf("ErasePerson = %+v, want 3 events, anonymous id anon-1, sessions s1 s2", got)
	}
	var msgs []string
	err = s.each(ctx, s.db, "SELECT concat(toString(project_id), ' ', message) FROM events ORDER BY ts", func(r *rows) error {
		var m string
		msgs = append(msgs, m)
		return r.Scan(&msgs[len(msgs)-1])
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(msgs) != "[1 bob paid 2 another alice]" {
		t.Errorf("events after erasing alice of project 1: %q, want bob's and project 2's", msgs)
	}
	if n := ints(t, s, "SELECT count() FROM idents WHERE user_id = 'alice'"); n[0] != 1 {
		t.Errorf("%d identity pairs of alice left, want project 2's", n[0])
	}
	var ex string
	if err := s.queryOne(ctx, s.db, "SELECT arrayStringConcat(examples, ',') FROM field_values", &ex); err != nil || ex != "bob" {
		t.Errorf("the field catalogue's examples after erasing alice: %q, %v; want bob", ex, err)
	}
	if _, err := s.ErasePerson(ctx, 1, ""); err == nil {
		t.Error("erasing an empty user id: no error")
	}
}
