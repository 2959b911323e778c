package clickhouse

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// openAs opens the database of u as writer w.
func openAs(t *testing.T, u, w string) *Store {
	t.Helper()
	sep := "?"
	if strings.Contains(u, "?") {
		sep = "&"
	}
	return mustOpen(t, u+sep+"writer="+url.QueryEscape(w))
}

// appendRowsOnly writes batch b's rows as s's writer without its record:
// a crash between the rows and the record, or an Append still in flight.
func appendRowsOnly(t *testing.T, s *Store, b store.Batch) {
	t.Helper()
	if err := s.do(context.Background(), request{db: s.db, sql: "INSERT INTO events FORMAT JSONEachRow", data: strings.NewReader(string(encodeEvents(b, s.writerNo)))}); err != nil {
		t.Fatal(err)
	}
}

// testWriters has two writers (two Lore nodes, each with its own seqs
// from 1) append to one database at once, one crashing between a batch's
// rows and its record while the other has a batch in flight: each
// recovers only its own rows, and every recorded batch is there once.
func testWriters(t *testing.T, u string) {
	ctx := context.Background()
	// A default writer's batch, as every database before writers had names.
	def := mustOpen(t, u)
	if err := def.Append(ctx, store.Batch{Seq: 1, Events: evs(2, "default 1")}); err != nil {
		t.Fatal(err)
	}
	a, b := openAs(t, u, "node-a"), openAs(t, u, "node-b")
	if a.writerNo == 0 || b.writerNo == 0 || a.writerNo == b.writerNo {
		t.Fatalf("writer numbers: default 0, node-a %d, node-b %d; want distinct and not 0", a.writerNo, b.writerNo)
	}
	for _, s := range []*Store{a, b} {
		if last, err := s.LastSeq(ctx); err != nil || last != 0 {
			t.Fatalf("LastSeq of new writer %s = %d, %v; want 0 (the default writer's batch 1 is not its)", s.writer, last, err)
		}
	}

	// Both append batches 1..n at once, with the same seqs.
	const n = 12
	var wg sync.WaitGroup
	for _, s := range []*Store{a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= n; seq++ {
				if err := s.Append(ctx, store.Batch{Seq: seq, Events: evs(int(seq), fmt.Sprintf("%s %d", s.writer, seq))}); err != nil {
					t.Errorf("%s: Append(%d): %v", s.writer, seq, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// node-a has batch n+1 in flight (rows in, record not yet); node-b
	// crashes after batch n+1's rows.
	inFlight := store.Batch{Seq: n + 1, Events: evs(4, "node-a in flight")}
	crashed := store.Batch{Seq: n + 1, Events: evs(5, "node-b crashed")}
	appendRowsOnly(t, a, inFlight)
	appendRowsOnly(t, b, crashed)
	b.Close()

	// node-b comes back (its recovery) while node-a records its batch in
	// flight and appends on.
	wg.Add(1)
	go func() {
		defer wg.Done()
		rec := fmt.Sprintf("INSERT INTO batches (seq, events, committed_at, writer) VALUES (%d, %d, now(), %d)", inFlight.Seq, len(inFlight.Events), a.writerNo)
		if err := a.exec(ctx, a.db, rec); err != nil {
			t.Errorf("node-a: record batch %d: %v", inFlight.Seq, err)
			return
		}
		a.mu.Lock()
		a.last = inFlight.Seq
		a.mu.Unlock()
		for seq := uint64(n + 2); seq <= n+6; seq++ {
			if err := a.Append(ctx, store.Batch{Seq: seq, Events: evs(3, fmt.Sprintf("node-a %d", seq))}); err != nil {
				t.Errorf("node-a: Append(%d) during node-b's recovery: %v", seq, err)
				return
			}
		}
	}()
	b2 := openAs(t, u, "node-b")
	wg.Wait()
	if b2.writerNo != b.writerNo {
		t.Errorf("node-b reopened as writer %d, was %d", b2.writerNo, b.writerNo)
	}
	if last, err := b2.LastSeq(ctx); err != nil || last != n {
		t.Errorf("node-b's LastSeq after its recovery = %d, %v; want %d", last, err, n)
	}
	if c := count(t, b2, " WHERE message LIKE 'node-b crashed%'"); c != 0 {
		t.Errorf("%d rows of node-b's unrecorded batch after its recovery, want 0", c)
	}
	if c := count(t, b2, " WHERE message LIKE 'node-a in flight%'"); c != 4 {
		t.Errorf("%d rows of node-a's batch in flight during node-b's recovery, want its 4: a writer deletes only its own", c)
	}
	// node-b's pipeline replays its batch n+1: stored once.
	if err := b2.Append(ctx, crashed); err != nil {
		t.Fatal(err)
	}
	// node-a dies between batch n+7's rows and record; its replacement
	// (the same name) deletes those rows, not node-b's, and the replay
	// stores them once.
	aCrashed := store.Batch{Seq: n + 7, Events: evs(6, "node-a crashed")}
	appendRowsOnly(t, a, aCrashed)
	a.Close()
	a2 := openAs(t, u, "node-a")
	if last, err := a2.LastSeq(ctx); err != nil || last != n+6 {
		t.Errorf("node-a's LastSeq after its recovery = %d, %v; want %d", last, err, n+6)
	}
	if c := count(t, a2, " WHERE message LIKE 'node-a crashed%'"); c != 0 {
		t.Errorf("%d rows of node-a's unrecorded batch after its recovery, want 0", c)
	}
	if err := a2.Append(ctx, aCrashed); err != nil {
		t.Fatal(err)
	}

	// Every recorded batch once: the default writer's, node-a's 1..n+7,
	// node-b's 1..n+1.
	want := map[string]int64{"default 1": 2, "node-b crashed": 5, "node-a in flight": 4, "node-a crashed": 6}
	for _, w := range []string{"node-a", "node-b"} {
		for seq := 1; seq <= n; seq++ {
			want[fmt.Sprintf("%s %d", w, seq)] = int64(seq)
		}
	}
	for seq := n + 2; seq <= n+6; seq++ {
		want[fmt.Sprintf("node-a %d", seq)] = 3
	}
	got := map[string]int64{}
	var prefix string
	var c int64
	err := a2.Run(ctx, sqlq.Query{Name: "test", SQL: "SELECT replaceRegexpOne(message, ' [0-9]+$', '') AS p, count() FROM events GROUP BY p"}, func(r sqlq.Scanner) error {
		if err := r.Scan(&prefix, &c); err != nil {
			return err
		}
		got[prefix] = c
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("rows by batch:\n got %v\nwant %v", got, want)
	}
	// Each row's arrival order is its own, across writers whose seqs and
	// times are equal (evs gives batch k's row i the time t0+i).
	rowID := sqlq.ClickHouse{}.RowID()
	if n := ints(t, a2, "SELECT count() - uniqExact(ts, "+rowID+") FROM events")[0]; n != 0 {
		t.Errorf("%d rows share their (time, row order) with another: a search's cursor would skip or repeat them", n)
	}
	// ... and follows each writer's seqs.
	prev := ints(t, a2, "SELECT "+rowID+" FROM events WHERE writer = "+fmt.Sprint(a2.writerNo)+" AND ts = "+fmt.Sprint(t0)+" ORDER BY seq")
	if !slices.IsSorted(prev) {
		t.Errorf("node-a's row orders at one time, by seq: %v, not increasing", prev)
	}
}

// testWriterNumbers has writers claim numbers at once: each gets its own,
// and keeps it when opened again.
func testWriterNumbers(t *testing.T, u string) {
	const k = 6
	nums := make([]uint8, k)
	var wg sync.WaitGroup
	for i := range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := openAs(t, u, fmt.Sprintf("w%d", i))
			nums[i] = s.writerNo
			s.Close()
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	seen := map[uint8]bool{}
	for i, n := range nums {
		if n == 0 || seen[n] {
			t.Errorf("writers opened together got numbers %v: want distinct and not 0", nums)
			break
		}
		seen[n] = true
		if again := openAs(t, u, fmt.Sprintf("w%d", i)); again.writerNo != n {
			t.Errorf("w%d opened again is writer %d, was %d", i, again.writerNo, n)
		}
	}
	if again := openAs(t, u, "it's a 'name'"); again.writerNo == 0 || seen[again.writerNo] {
		t.Errorf("a name with quotes got writer number %d", again.writerNo)
	}
}

// testWritersMigration opens, as two named writers, a database an older
// build wrote as its one writer, crashed between a batch's rows and
// record: nothing recorded is lost, the old rows are the default
// writer's, and the crash is recovered by the default writer only.
func testWritersMigration(t *testing.T, u string) {
	ctx := context.Background()
	old := oldBuild(t, u, migrations()[:5])
	if err := old.exec(ctx, old.db, "INSERT INTO events (project_id, ts, message, seq, seq_row) VALUES (1, 1, 'old 1', 1, 0), (1, 2, 'old 1', 1, 1), (1, 3, 'old crashed', 2, 0)"); err != nil {
		t.Fatal(err)
	}
	if err := old.exec(ctx, old.db, "INSERT INTO batches VALUES (1, 2, now())"); err != nil {
		t.Fatal(err)
	}
	old.Close()
	a := openAs(t, u, "node-a")
	if c := count(t, a, ""); c != 3 {
		t.Errorf("%d rows after a named writer migrated and opened the database, want the old 3: it must not recover the default writer's batch", c)
	}
	if c := count(t, a, " WHERE writer = 0"); c != 3 {
		t.Errorf("%d of the old rows are the default writer's, want 3", c)
	}
	if err := a.Append(ctx, store.Batch{Seq: 1, Events: evs(1, "node-a 1")}); err != nil {
		t.Fatal(err)
	}
	def := mustOpen(t, u)
	if last, err := def.LastSeq(ctx); err != nil || last != 1 {
		t.Errorf("the default writer's LastSeq after the migration = %d, %v; want 1", last, err)
	}
	if c := count(t, def, " WHERE message = 'old crashed'"); c != 0 {
		t.Error("the default writer's unrecorded batch survived its recovery")
	}
	if c := count(t, def, ""); c != 3 {
		t.Errorf("%d rows, want the old batch's 2 and node-a's 1", c)
	}
}
