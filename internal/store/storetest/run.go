package storetest

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// testRun checks sqlq.Executor, the one read primitive the analyses use:
// a compiled query's arguments bind in order (strings as values, never
// SQL; trace id halves with the high bit set), rows come in order, the
// query is left as it was (its Key too), the row callback's error stops
// it, and an ended context is an error.
func testRun(t *testing.T, s store.Store) {
	tr, _ := event.ParseTraceID("ffffffffffffffff0000000000000001")
	appendBatch(t, s, 1,
		event.Event{ProjectID: 1, TS: t0, Kind: "log", Service: "api", Message: "it's a '?'", TraceID: tr},
		event.Event{ProjectID: 1, TS: t0 + sec, Kind: "log", Service: "web", Message: "two"},
		event.Event{ProjectID: 1, TS: t0 + 2*sec, Kind: "log", Service: "api", Message: "three"},
		event.Event{ProjectID: 2, TS: t0, Kind: "log", Service: "api", Message: "other project"},
	)
	d := s.Dialect()
	hi, hiArg := d.Uint64(tr.Hi())
	var b sqlq.Builder
	b.Add("SELECT service, message, "+d.TraceHex("trace_hi", "trace_lo")+" FROM events WHERE project_id = ? AND ts >= ? AND ts < ?",
		int64(1), all.From, all.To).
		Add(" AND (service = ? OR trace_hi = "+hi+")", "web", hiArg).
		Add(" AND message <> " + d.Str("it's") + " ORDER BY ts")
	q, err := b.Query("storetest.run", sqlq.Scope{ProjectID: 1, From: all.From, To: all.To})
	if err != nil {
		t.Fatal(err)
	}
	key := q.Key()
	var got []string
	err = s.Run(context.Background(), q, func(r sqlq.Scanner) error {
		var svc, msg, trace string
		if err := r.Scan(&svc, &msg, &trace); err != nil {
			return err
		}
		got = append(got, svc+"|"+msg+"|"+trace)
		return nil
	})
	want := []string{"api|it's a '?'|ffffffffffffffff0000000000000001", "web|two|00000000000000000000000000000000"}
	if err != nil || strings.Join(got, ";") != strings.Join(want, ";") {
		t.Errorf("Run: %v %q, want %q", err, got, want)
	}
	if q.Key() != key {
		t.Error("Run changed the query's Key (its arguments)")
	}
	stop := errors.New("stop")
	n := 0
	err = s.Run(context.Background(), q, func(sqlq.Scanner) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 || !strings.Contains(err.Error(), "storetest.run") {
		t.Errorf("a row's error: %v after %d rows, want it (naming the query) after 1", err, n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Run(ctx, q, func(sqlq.Scanner) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("an ended context: %v, want context.Canceled", err)
	}
}
