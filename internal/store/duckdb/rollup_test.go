package duckdb

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/services"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/rollup"
)

// TestRollupRebuiltAtOpen opens a store written before the rollup existed
// (its tables dropped) and one whose rollup lags its events: Open rebuilds
// the minutes, which then answer as the raw events do.
func TestRollupRebuiltAtOpen(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixMicro()
	var evs []event.Event
	for i := range 600 {
		e := event.Event{ProjectID: 1, TS: t0 + int64(i)*1_000_003, Kind: event.KindSpan, Service: []string{"api", "db"}[i%2],
			DurationMS: float64(i%97) + 0.5, HTTPStatus: []int32{200, 500, 429}[i%3]}
		if i%5 == 0 {
			e.Kind, e.Level, e.RetryAttempt = event.KindLog, "error", 1
		}
		evs = append(evs, e)
	}
	req := store.ServiceSeriesRequest{ProjectID: 1, Range: store.Range{From: t0, To: t0 + int64(time.Hour/time.Microsecond)}, Step: rollup.Minute}
	for _, damage := range []string{
		`DROP TABLE narrative_minutes; DROP TABLE rollup_state`,
		`DELETE FROM narrative_minutes WHERE minute > (SELECT min(minute) FROM narrative_minutes); UPDATE rollup_state SET seq = 1`,
	} {
		dir := t.TempDir()
		s := openTest(t, dir)
		if err := s.Append(ctx, store.Batch{Seq: 1, Events: evs[:300]}); err != nil {
			t.Fatal(err)
		}
		if err := s.Append(ctx, store.Batch{Seq: 2, Events: evs[300:]}); err != nil {
			t.Fatal(err)
		}
		want := seriesOf(t, s, req, false)
		if got := seriesOf(t, s, req, true); !reflect.DeepEqual(got, want) {
			t.Fatalf("rollup before damage = %+v\nraw %+v", got, want)
		}
		if _, err := s.db.ExecContext(ctx, damage); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		s = openTest(t, dir)
		if got := seriesOf(t, s, req, true); !reflect.DeepEqual(got, want) {
			t.Errorf("after %q and a reopen, rollup = %+v\nraw %+v", damage, got, want)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// seriesOf reads ServiceSeries from the rollup or the raw events.
func seriesOf(t *testing.T, s *Store, r store.ServiceSeriesRequest, rolled bool) []store.ServicePoint {
	t.Helper()
	if rolled {
		pts, ok, err := s.RolledServiceSeries(context.Background(), r)
		if err != nil || !ok {
			t.Fatalf("the rollup answered %v, %v", ok, err)
		}
		return pts
	}
	// The analysis's own SQL, with no accelerator in sight.
	out, err := services.Series{ProjectID: r.ProjectID, Range: r.Range, Step: r.Step}.Run(context.Background(), struct{ sqlq.Executor }{s})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no points: the comparison would prove nothing")
	}
	return out
}

// TestErrorRollupEqualsRaw compares services.ErrorGroups and
// services.ReleaseStarts read from the minute rollups with the same
// queries over the raw events, on rows appended in batches that share
// minutes.
func TestErrorRollupEqualsRaw(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC).UnixMicro()
	rng := rand.New(rand.NewPCG(3, 5))
	var evs []event.Event
	for i := range 3000 {
		e := event.Event{ProjectID: 1, TS: t0 + int64(i)*3_600_000 + int64(rng.IntN(1000)),
			Service: []string{"api", "db", "web"}[rng.IntN(3)], ErrorType: []string{"E1", "E2", ""}[rng.IntN(3)],
			Kind:  []string{event.KindError, event.KindLog, event.KindLog, event.KindSpan}[rng.IntN(4)],
			Level: []string{"error", "fatal", "info"}[rng.IntN(3)], Message: fmt.Sprintf("boom %d", rng.IntN(4)),
			Endpoint: []string{"/a", "/a", "/a", "/a", "/a", "", "/b"}[i%7], Release: "v1"}
		if i > 1700 {
			e.Release = "v2"
		}
		if rng.IntN(3) == 0 {
			e.Fingerprint = "fp" + e.ErrorType
		}
		if rng.IntN(2) == 0 {
			e.Attributes = []event.Attr{{Key: store.PatternAttr, Value: fmt.Sprint("p", rng.IntN(2))}}
		}
		if rng.IntN(5) > 0 {
			e.TraceID, _ = event.ParseTraceID(fmt.Sprintf("%032x", 1+i))
		}
		evs = append(evs, e)
	}
	s := openTest(t, t.TempDir())
	defer s.Close()
	rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
	for b := range 6 {
		if err := s.Append(ctx, store.Batch{Seq: uint64(b + 1), Events: evs[b*500 : (b+1)*500]}); err != nil {
			t.Fatal(err)
		}
	}
	hour := int64(time.Hour / time.Microsecond)
	for _, c := range []struct{ since, from, to int64 }{
		{t0, t0 + hour, t0 + 3*hour},
		{t0 + 30*rollup.Minute, t0 + 30*rollup.Minute, t0 + 2*hour},
		{t0 - 7*24*hour, t0, t0 + 4*hour},
	} {
		r := store.Range{From: c.from, To: c.to}
		if _, ok, err := s.RolledErrorGroups(ctx, 1, r, c.since, 1000); !ok || err != nil {
			t.Fatalf("the error rollup cannot serve %+v: %v", c, err)
		}
		if _, ok, err := s.RolledReleaseStarts(ctx, 1, store.Range{From: c.since, To: c.to}); !ok || err != nil {
			t.Fatalf("the release rollup cannot serve %+v: %v", c, err)
		}
		eq := services.ErrorGroups{ProjectID: 1, Range: r, Since: c.since, Limit: 1000}
		got, err := eq.Run(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		want, err := eq.Run(ctx, plainStore{s})
		if err != nil {
			t.Fatal(err)
		}
		rawQ, err := eq.Query(s.Dialect())
		if err != nil {
			t.Fatal(err)
		}
		if len(want) < 10 {
			t.Fatalf("%+v: %d groups: the comparison would prove little", c, len(want))
		}
		for i := range want {
			got[i].Message, want[i].Message = "", "" // any_value: any of the group's messages
			if i < len(got) && got[i].Endpoint != want[i].Endpoint {
				// The most common endpoint may be tied: then either is right.
				var a, b int64
				// The rows of the groups: the compiled query's WITH e AS (…).
				q := rawQ.SQL[:strings.Index(rawQ.SQL, " SELECT service, error_type, k, ")] + `
					SELECT count(*) FILTER (WHERE endpoint = ?), count(*) FILTER (WHERE endpoint = ?) FROM e WHERE service = ? AND error_type = ? AND k = ?`
				qa := append(append([]any{}, rawQ.Args[:9]...), got[i].Endpoint, want[i].Endpoint, want[i].Service, want[i].ErrorType, want[i].Key)
				if err := s.db.QueryRowContext(ctx, q, qa...).Scan(&a, &b); err != nil {
					t.Fatal(err)
				}
				if a == b {
					got[i].Endpoint = want[i].Endpoint
				}
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%+v: ErrorGroups from the rollup\n%+v\nfrom the events\n%+v", c, got, want)
		}
		starts, err := services.ReleaseStarts{ProjectID: 1, Range: r, Since: c.since}.Run(ctx, s)
		if err != nil {
			t.Fatal(err)
		}
		var raw []store.ReleaseStart
		if err := s.eachRow(ctx, `SELECT service, release, min(ts) FROM events WHERE project_id = 1 AND ts >= ? AND ts < ? AND release <> '' AND service <> ''
			GROUP BY service, release ORDER BY 3, 1, 2`, []any{c.since, c.to}, func(rows *sql.Rows) error {
			var x store.ReleaseStart
			err := rows.Scan(&x.Service, &x.Release, &x.FirstTS)
			raw = append(raw, x)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if len(raw) < 4 || !reflect.DeepEqual(starts, raw) {
			t.Errorf("%+v: ReleaseStarts from the rollup %+v, from the events %+v", c, starts, raw)
		}
	}
}

// plainStore hides the store's accelerators: query objects run their SQL.
type plainStore struct{ sqlq.Executor }
