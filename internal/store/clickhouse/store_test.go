package clickhouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/chtest"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()

// TestServer runs the store's tests against one real clickhouse-server,
// each subtest in a database of its own.
func TestServer(t *testing.T) {
	srv := chtest.Start(t)
	serverChecks(t, srv, func(db string) string { return "clickhouse://" + srv.Addr + "/" + db })
}

// serverChecks runs TestServer's checks on srv, each in a database of
// its own, whose store URL dbURL spells.
func serverChecks(t *testing.T, srv *chtest.Server, dbURL func(db string) string) {
	t.Run("Migrations", func(t *testing.T) { testMigrations(t, srv, dbURL("migrations")) })
	t.Run("ExactlyOnce", func(t *testing.T) { testExactlyOnce(t, dbURL("exactly_once")) })
	t.Run("FailedAppend", func(t *testing.T) { testFailedAppend(t, dbURL("failed_append")) })
	t.Run("Arguments", func(t *testing.T) { testArguments(t, dbURL("arguments")) })
	t.Run("Types", func(t *testing.T) { testTypes(t, dbURL("types")) })
	t.Run("Errors", func(t *testing.T) { testErrors(t, dbURL("errors")) })
	t.Run("Cancel", func(t *testing.T) { testCancel(t, srv, dbURL("cancel")) })
	t.Run("KilledOverLongValues", func(t *testing.T) { testKilledOverLongValues(t, srv, dbURL("killed_long")) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, dbURL("concurrent")) })
	t.Run("Mode", func(t *testing.T) { testMode(t, dbURL("mode")) })
	t.Run("Writers", func(t *testing.T) { testWriters(t, dbURL("writers")) })
	t.Run("WriterNumbers", func(t *testing.T) { testWriterNumbers(t, dbURL("writer_numbers")) })
	t.Run("WritersMigration", func(t *testing.T) { testWritersMigration(t, dbURL("writers_migration")) })
}

func mustOpen(t *testing.T, u string) *Store {
	t.Helper()
	s, err := Open(context.Background(), u, nil)
	if err != nil {
		t.Fatalf("Open(%q): %v", u, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// ints runs sql on s and returns its first column as integers.
func ints(t *testing.T, s *Store, sql string) []int64 {
	t.Helper()
	var out []int64
	err := s.Run(context.Background(), sqlq.Query{Name: "test", SQL: sql}, func(r sqlq.Scanner) error {
		out = append(out, 0)
		return r.Scan(&out[len(out)-1])
	})
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return out
}

func testMigrations(t *testing.T, srv *chtest.Server, u string) {
	ctx := context.Background()
	// A database left at version 2 by an older build (no idents table).
	old := oldBuild(t, u, migrations()[:2])
	if got := ints(t, old, "SELECT version FROM schema_migrations ORDER BY version"); !slices.Equal(got, []int64{1, 2}) {
		t.Fatalf("an old build's versions = %v, want [1 2]", got)
	}
	old.Close()
	latest := int64(migrations()[len(migrations())-1].version)
	var want []int64
	for v := int64(1); v <= latest; v++ {
		want = append(want, v)
	}
	for range 2 {
		s := mustOpen(t, u)
		if got := ints(t, s, "SELECT version FROM schema_migrations ORDER BY version"); !slices.Equal(got, want) {
			t.Errorf("versions after Open = %v, want each of %v once", got, want)
		}
		for _, table := range []string{"events", "batches", "idents"} {
			if n := ints(t, s, "SELECT count() FROM system.tables WHERE database = 'migrations' AND name = '"+table+"'"); n[0] != 1 {
				t.Errorf("table %s missing after Open", table)
			}
		}
		if n := ints(t, s, "SELECT count() FROM system.columns WHERE database = 'migrations' AND table = 'events' AND name = 'seq_row'"); n[0] != 1 {
			t.Error("events.seq_row (migration 4, an ALTER) missing after Open")
		}
		s.Close()
	}
	// A crash after migration 4's ALTER and before its record: Open
	// finds the column there and records the version.
	crashed := oldBuild(t, u+"_crashed", migrations()[:3])
	if err := crashed.exec(ctx, crashed.db, addColumn("seq_row", "UInt32").sql("events")); err != nil {
		t.Fatal(err)
	}
	crashed.Close()
	if s := mustOpen(t, u+"_crashed"); !slices.Equal(ints(t, s, "SELECT version FROM schema_migrations ORDER BY version"), want) {
		t.Errorf("after a crash inside migration 4, versions are not each of %v once", want)
	}
	// A database a newer build migrated is refused.
	srv.Post(t, "INSERT INTO migrations.schema_migrations VALUES (999, 'future', now())")
	if _, err := Open(ctx, u, nil); err == nil || !strings.Contains(err.Error(), "999") {
		t.Errorf("Open of a database at version 999: %v, want an error naming the version", err)
	}
}

// oldBuild opens u as a build that knew only migs did: it migrates the
// database to them and no further.
func oldBuild(t *testing.T, u string, migs []migration) *Store {
	t.Helper()
	ctx := context.Background()
	s, err := connect(ctx, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.migrate(ctx, migs); err != nil {
		t.Fatal(err)
	}
	return s
}

func evs(n int, msg string) []event.Event {
	out := make([]event.Event, n)
	for i := range out {
		out[i] = event.Event{ProjectID: 1, TS: t0 + int64(i), ReceivedAt: t0 + int64(i), Kind: event.KindLog, Service: "api", Message: fmt.Sprintf("%s %d", msg, i)}
	}
	return out
}

func count(t *testing.T, s *Store, where string) int64 {
	t.Helper()
	return ints(t, s, "SELECT count() FROM events"+where)[0]
}

func testExactlyOnce(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	if last, err := s.LastSeq(ctx); err != nil || last != 0 {
		t.Fatalf("LastSeq of a new store = %d, %v", last, err)
	}
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs(3, "one")}); err != nil {
		t.Fatal(err)
	}
	// A crash after batch 2's rows went in and before its record.
	crashed := store.Batch{Seq: 2, Events: evs(5, "two")}
	if err := s.do(ctx, request{db: s.db, sql: "INSERT INTO events FORMAT JSONEachRow", data: strings.NewReader(string(encodeEvents(crashed, 0)))}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, ""); n != 8 {
		t.Fatalf("%d rows before the crash's recovery, want 8", n)
	}
	s.Close()
	s = mustOpen(t, u)
	if last, err := s.LastSeq(ctx); err != nil || last != 1 {
		t.Errorf("LastSeq after the crash = %d, %v; want 1", last, err)
	}
	if n := count(t, s, ""); n != 3 {
		t.Errorf("%d rows after Open, want batch 1's 3: the unrecorded batch's rows must go", n)
	}
	// The pipeline replays batch 2: it is stored once.
	if err := s.Append(ctx, crashed); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, ""); n != 8 {
		t.Errorf("%d rows after the replay, want 8", n)
	}
	if n := count(t, s, " WHERE message = 'two 4'"); n != 1 {
		t.Errorf("a replayed row is stored %d times", n)
	}
	// An old batch is refused and changes nothing; an empty one records
	// its seq.
	if err := s.Append(ctx, store.Batch{Seq: 2, Events: evs(1, "again")}); err == nil {
		t.Error("Append of batch 2 twice succeeded")
	}
	if err := s.Append(ctx, store.Batch{Seq: 9}); err != nil {
		t.Fatal(err)
	}
	if last, _ := s.LastSeq(ctx); last != 9 {
		t.Errorf("LastSeq after an empty batch = %d, want 9", last)
	}
	if n := count(t, s, ""); n != 8 {
		t.Errorf("%d rows, want 8", n)
	}
	st, err := s.Stats(ctx)
	if err != nil || st.Events != 8 || st.DiskBytes <= 0 {
		t.Errorf("Stats = %+v, %v; want 8 events and some bytes", st, err)
	}
}

// testFailedAppend makes the batch record fail after the rows went in (the
// batches table is gone): Append fails, leaves no row, and once the table
// is back the same batch appends once.
func testFailedAppend(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs(2, "one")}); err != nil {
		t.Fatal(err)
	}
	if err := s.exec(ctx, s.db, "RENAME TABLE batches TO batches_away"); err != nil {
		t.Fatal(err)
	}
	b := store.Batch{Seq: 2, Events: evs(4, "two")}
	if err := s.Append(ctx, b); err == nil {
		t.Fatal("Append without a batches table succeeded")
	}
	if err := s.exec(ctx, s.db, "RENAME TABLE batches_away TO batches"); err != nil {
		t.Fatal(err)
	}
	if err := s.Append(ctx, b); err != nil {
		t.Fatal(err)
	}
	if n := count(t, s, ""); n != 6 {
		t.Errorf("%d rows after a failed and a retried append, want 6", n)
	}
}

// hostile are strings an argument must carry as data, never as SQL.
var hostile = []string{
	"", "plain", "it's", `back\slash`, `\'`, `\\'`, `'`, `''`, "?", "'?'", "'; DROP TABLE events; --",
	"new\nline", "tab\there", "nul\x00byte", `\N`, "{x:String}", "ünïcödé 🚀", "\xff\xfe invalid", "`ident`", `"dq"`,
	`\`, `\\`, "\r\n", "-- comment", "/* c */",
}

func testArguments(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	for _, h := range hostile {
		q := sqlq.Query{Name: "test.args", SQL: "SELECT ?, length(?), ? = " + sqlq.ClickHouse{}.Str(h) + ", has(?, ?)", Args: []any{h, h, h, []string{"x", h}, h}}
		var got string
		var n int64
		var eq, has bool
		err := s.Run(ctx, q, func(r sqlq.Scanner) error { return r.Scan(&got, &n, &eq, &has) })
		if err != nil || got != h || n != int64(len(h)) || !eq || !has {
			t.Errorf("%q round trip: %q, length %d, equal to its literal %v, in a list %v, %v", h, got, n, eq, has, err)
		}
	}
	nums := sqlq.Query{Name: "test.nums", SQL: "SELECT ?, ?, ?, ?, ?, ?, ?, ?, toTypeName(?), ?, ?",
		Args: []any{int64(math.MinInt64), int64(math.MaxInt64), uint64(math.MaxUint64), 0.1, -2.5e300, 3.0, true, nil, 3.0, []string{}, []int64{1, -2}}}
	err := s.Run(ctx, nums, func(r sqlq.Scanner) error {
		var lo, hi int64
		var u uint64
		var f1, f2, f3 float64
		var b bool
		var null sql.NullString
		var typ string
		var empty []string
		var list []any
		if err := r.Scan(&lo, &hi, &u, &f1, &f2, &f3, &b, &null, &typ, &empty, &list); err != nil {
			return err
		}
		if lo != math.MinInt64 || hi != math.MaxInt64 || u != math.MaxUint64 || f1 != 0.1 || f2 != -2.5e300 || f3 != 3 || !b ||
			null.Valid || typ != "Float64" || len(empty) != 0 || fmt.Sprint(list) != "[1 -2]" {
			t.Errorf("numbers: %d %d %d %v %v %v %v %v %q %q %v", lo, hi, u, f1, f2, f3, b, null, typ, empty, list)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// A '?' inside the query's own literals is data, not a placeholder;
	// placeholders and arguments must agree.
	q := sqlq.Query{Name: "test.lit", SQL: `SELECT 'what\'s ?', ?`, Args: []any{"x"}}
	var a, b string
	if err := s.Run(ctx, q, func(r sqlq.Scanner) error { return r.Scan(&a, &b) }); err != nil || a != "what's ?" || b != "x" {
		t.Errorf("a '?' in a literal: %q %q %v", a, b, err)
	}
	bad := sqlq.Query{Name: "test.count", SQL: "SELECT ?, ?", Args: []any{1}}
	if err := s.Run(ctx, bad, func(sqlq.Scanner) error { return nil }); err == nil || !strings.Contains(err.Error(), "test.count") {
		t.Errorf("2 placeholders and 1 argument: %v, want an error naming the query", err)
	}
}

func testTypes(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	q := sqlq.Query{Name: "test.types", SQL: `SELECT toNullable(1), CAST(NULL AS Nullable(Int64)), NULL, ['a\tb', 'q''s', NULL], [[1], [2, 3]],
		tuple(1, 'x\\y'), toFloat64OrNull('x'), nan, -inf, toUInt8(7), toLowCardinality('lc'), toDate('2026-01-02'), 'x\ty\\z\nw', toFixedString('ab', 3)`}
	var row []any
	err := s.Run(ctx, q, func(r sqlq.Scanner) error {
		row = make([]any, 14)
		ptrs := make([]any, len(row))
		for i := range row {
			ptrs[i] = &row[i]
		}
		return r.Scan(ptrs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []any{int64(1), nil, nil, []any{"a\tb", "q's", nil}, []any{[]any{int64(1)}, []any{int64(2), int64(3)}},
		[]any{int64(1), `x\y`}, nil, math.NaN(), math.Inf(-1), int64(7), "lc", "2026-01-02", "x\ty\\z\nw", "ab\x00"}
	for i := range want {
		if f, ok := want[i].(float64); ok && math.IsNaN(f) {
			if g, ok := row[i].(float64); !ok || !math.IsNaN(g) {
				t.Errorf("column %d = %#v, want NaN", i+1, row[i])
			}
			continue
		}
		if fmt.Sprintf("%#v", row[i]) != fmt.Sprintf("%#v", want[i]) {
			t.Errorf("column %d = %#v, want %#v", i+1, row[i], want[i])
		}
	}
	// sql.Null* take NULLs and values alike.
	var ni sql.NullInt64
	var nf sql.NullFloat64
	var ns sql.NullString
	var nb sql.NullBool
	q = sqlq.Query{Name: "test.null", SQL: "SELECT CAST(NULL AS Nullable(Int64)), toNullable(1.5), toNullable('s'), toNullable(1)"}
	err = s.Run(ctx, q, func(r sqlq.Scanner) error { return r.Scan(&ni, &nf, &ns, &nb) })
	if err != nil || ni.Valid || nf != (sql.NullFloat64{Float64: 1.5, Valid: true}) || ns.String != "s" || !nb.Bool {
		t.Errorf("sql.Null*: %v %v %v %v %v", ni, nf, ns, nb, err)
	}
	// A NULL into a plain *int64 is an error naming the column, as in
	// database/sql.
	var n int64
	q = sqlq.Query{Name: "test.nullint", SQL: "SELECT CAST(NULL AS Nullable(Int64)) AS gone"}
	if err := s.Run(ctx, q, func(r sqlq.Scanner) error { return r.Scan(&n) }); err == nil || !strings.Contains(err.Error(), "gone") {
		t.Errorf("NULL into *int64: %v", err)
	}
}

func testErrors(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	err := s.Run(ctx, sqlq.Query{Name: "test.unknown", SQL: "SELECT no_such_column FROM events"}, func(sqlq.Scanner) error { return nil })
	var ce *Error
	if !errors.As(err, &ce) || ce.Code != 47 || !strings.Contains(err.Error(), "test.unknown") || !strings.Contains(err.Error(), "no_such_column") {
		t.Errorf("an unknown column: %v, want a *Error of code 47 naming the query and the column", err)
	}
	stop := errors.New("stop")
	err = s.Run(ctx, sqlq.Query{Name: "test.stop", SQL: "SELECT number FROM system.numbers LIMIT 10"}, func(sqlq.Scanner) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("a row's error: %v", err)
	}
	// Over the memory limit the URL sets: sqlq.OutOfMemory knows it.
	small := mustOpen(t, u+"?max_memory_usage=10000000")
	err = small.Run(ctx, sqlq.Query{Name: "test.memory", SQL: "SELECT length(groupArray(toString(number))) FROM numbers(10000000)"}, func(sqlq.Scanner) error { return nil })
	if !sqlq.OutOfMemory(err) || !strings.Contains(err.Error(), "test.memory") {
		t.Errorf("over the memory limit: %v, want sqlq.OutOfMemory", err)
	}
	if _, err := Open(ctx, u+"?no_such_setting=1", nil); err == nil || !strings.Contains(err.Error(), "no_such_setting") {
		t.Errorf("Open with an unknown setting: %v", err)
	}
}

// testCancel ends a long query's context: Run returns context.Canceled
// at once and the query stops on the server.
func testCancel(t *testing.T, srv *chtest.Server, u string) {
	s := mustOpen(t, u)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	err := s.Run(ctx, sqlq.Query{Name: "test.slow", SQL: "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 1"}, func(sqlq.Scanner) error { return nil })
	if !errors.Is(err, context.Canceled) || time.Since(start) > 10*time.Second {
		t.Errorf("a cancelled query: %v after %v", err, time.Since(start))
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		if n := strings.TrimSpace(string(srv.Post(t, "SELECT count() FROM system.processes WHERE query LIKE '%sipHash64(number) = 1%' AND query NOT LIKE '%system.processes%'"))); n == "0" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cancelled query still runs on the server after 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// Without a deadline of its own a read ends at the store's query
	// timeout.
	short := mustOpen(t, u+"?query_timeout=700ms")
	start = time.Now()
	err = short.Run(context.Background(), sqlq.Query{Name: "test.timeout", SQL: "SELECT count() FROM numbers(100000000000) WHERE sipHash64(number) = 2"}, func(sqlq.Scanner) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 10*time.Second {
		t.Errorf("a read past the query timeout: %v after %v, want context.DeadlineExceeded", err, time.Since(start))
	}
	// An ended context never reaches the server.
	if err := s.Run(ctx, sqlq.Query{Name: "test.ended", SQL: "SELECT 1"}, func(sqlq.Scanner) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: %v", err)
	}
}

// testKilledOverLongValues: a search over long messages made to be slow
// to match (a 64 KiB run of one letter, which every position of a needle
// of that letter and another nearly matches) returns at its deadline,
// and the query it killed stops on the server soon after. ClickHouse
// stops a killed query between blocks; with its default block size
// (preferred_block_size_bytes 1,000,000, whose estimate these values
// defeat) the query ran on 6.5 to 8 s on 18.16.
func testKilledOverLongValues(t *testing.T, srv *chtest.Server, u string) {
	const deadline, slack = 100 * time.Millisecond, 1500 * time.Millisecond
	s := mustOpen(t, u)
	ctx := context.Background()
	long := "b" + "aaac" + strings.Repeat("a", 64<<10-5)
	for b := range 4 {
		evs := make([]event.Event, 1024)
		for i := range evs {
			evs[i] = event.Event{ProjectID: 1, TS: t0 + int64(b*1024+i)*1000, Kind: event.KindLog, Service: "api", Message: long}
		}
		if err := s.Append(ctx, store.Batch{Seq: uint64(b + 1), Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	// any of four words of n-1 'a's and a 'c': each is matched against
	// every value
	var words []string
	for n := query.MaxNeedleBytes; len(words) < 4; n -= 8 {
		words = append(words, strings.Repeat("a", n-1)+"c")
	}
	q, err := query.Parse(strings.Join(words, " OR "))
	if err != nil {
		t.Fatal(err)
	}
	qctx, cancel := context.WithTimeout(ctx, deadline)
	defer cancel()
	began := time.Now()
	_, err = events.Reader{Ex: s}.Search(qctx, store.SearchRequest{ProjectID: 1, Range: store.Range{From: t0, To: t0 + 3600e6}, Query: q})
	if took := time.Since(began); !errors.Is(err, context.DeadlineExceeded) || took > deadline+slack {
		t.Errorf("the search: %v after %v, want the deadline's error at %v", err, took, deadline)
	}
	for {
		n := strings.TrimSpace(string(srv.Post(t, "SELECT count() FROM system.processes WHERE query LIKE '%aaaaaaac%' AND query NOT LIKE '%system.processes%'")))
		if n == "0" {
			break
		}
		if took := time.Since(began); took > deadline+slack {
			t.Fatalf("the killed search still runs on the server %v after it began (deadline %v)", took.Round(time.Millisecond), deadline)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Logf("the killed search stopped on the server within %v", time.Since(began).Round(time.Millisecond))
}

// testConcurrent runs queries from several goroutines while batches are
// appended: each sees a whole number of batches (rows of a recorded
// batch), none fails.
func testConcurrent(t *testing.T, u string) {
	ctx := context.Background()
	s := mustOpen(t, u)
	done := make(chan struct{})
	errc := make(chan error, 4)
	for range 4 {
		go func() {
			for {
				select {
				case <-done:
					errc <- nil
					return
				default:
				}
				var n int64
				err := s.Run(ctx, sqlq.Query{Name: "test.count", SQL: "SELECT count() FROM events WHERE seq <= (SELECT max(seq) FROM batches)"},
					func(r sqlq.Scanner) error { return r.Scan(&n) })
				if err == nil && n%100 != 0 {
					err = fmt.Errorf("%d rows of recorded batches, not a whole number of 100-row batches", n)
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for seq := uint64(1); seq <= 5; seq++ {
		if err := s.Append(ctx, store.Batch{Seq: seq, Events: evs(100, fmt.Sprint(seq))}); err != nil {
			t.Error(err)
		}
	}
	close(done)
	for range 4 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	if n := count(t, s, ""); n != 500 {
		t.Errorf("%d rows, want 500", n)
	}
}

// testMode: the dialect's mode is exact where topK(1), a Space-Saving
// estimate, is not (five 'm' then 995 values seen once), takes the least
// of tied values, and is empty without rows.
func testMode(t *testing.T, u string) {
	s := mustOpen(t, u)
	d := sqlq.ClickHouse{}
	q := sqlq.Query{Name: "test.mode", SQL: "SELECT " + d.AggOf(sqlq.AggMode, "x") + ", " + d.AggIf(sqlq.AggMode, "x", "x IN ('b', 'c')") + ", " +
		d.AggIf(sqlq.AggMode, "x", "0") + " FROM (SELECT if(number < 5, 'm', if(number < 9, ['b', 'c'][number % 2 + 1], toString(number))) AS x FROM numbers(1000))"}
	var mode, tied, none string
	if err := s.Run(context.Background(), q, func(r sqlq.Scanner) error { return r.Scan(&mode, &tied, &none) }); err != nil {
		t.Fatal(err)
	}
	if mode != "m" || tied != "b" || none != "" {
		t.Errorf("modes %q, %q, %q; want \"m\", \"b\" (the least of two tied), \"\"", mode, tied, none)
	}
}
