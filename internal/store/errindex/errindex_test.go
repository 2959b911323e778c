package errindex_test

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/issuestats"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
	"github.com/lore-dev/lore/internal/store/errindex"
)

// TestErrorIndexMatchesTable checks every answer the error index gives
// (through internal/analysis/issuestats on the DuckDB store, which keeps
// one) against the same aggregate over the events table (the same query
// objects on the store with its accelerators hidden), for random ranges
// (partial hours at both edges, ranges ending before the last event),
// fingerprint lists and user counts — fed batch by batch, out of time
// order, and again after a reopen rebuilds the index from the table.
func TestErrorIndexMatchesTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := open(t, dir)
	r := rand.New(rand.NewPCG(7, 11))
	const t0 = int64(1_700_000_000_000_000)
	span := 30 * hourMicros
	seq := uint64(0)
	for range 6 {
		var evs []event.Event
		for range 700 {
			e := event.Event{ProjectID: 1 + int64(r.IntN(2)), TS: t0 + r.Int64N(span), Kind: event.KindError,
				Level: event.LevelError, Service: "api", Fingerprint: "fp" + strconv.Itoa(r.IntN(12)), Message: "boom"}
			if r.IntN(4) > 0 {
				e.UserID = "u" + strconv.Itoa(r.IntN(40))
			}
			if r.IntN(3) > 0 {
				e.Release = "1." + strconv.Itoa(r.IntN(5))
			}
			if r.IntN(10) == 0 {
				e.Kind = event.KindLog // a log with a fingerprint is not an error
			}
			e.ReceivedAt = e.TS
			evs = append(evs, e)
		}
		seq++
		if err := s.Append(ctx, store.Batch{Seq: seq, Events: evs}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *duckdb.Store) {
		t.Helper()
		for i := range 200 {
			from := t0 - hourMicros + r.Int64N(span+2*hourMicros)
			to := from + 1 + r.Int64N(span)
			if i%4 == 0 {
				to = t0 + span + hourMicros // after every event, as "until now" is
			}
			req := store.IssueGroupsRequest{ProjectID: 1 + int64(i%3), Range: store.Range{From: from, To: to}, Users: i%2 == 0}
			if i%5 == 0 {
				req.Fingerprints = []string{"fp1", "fp3", "nope"}
			}
			got, err := issuestats.Groups(req).Run(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			want, err := issuestats.Groups(req).Run(ctx, plain{s})
			if err != nil {
				t.Fatal(err)
			}
			byFP := func(a, b store.IssueGroup) int { return cmp.Compare(a.Fingerprint, b.Fingerprint) }
			slices.SortFunc(got, byFP)
			slices.SortFunc(want, byFP)
			if !slices.Equal(got, want) {
				t.Fatalf("IssueGroups(%+v):\nindex %+v\ntable %+v", req, got, want)
			}
			tr := req
			tr.Fingerprints, tr.Users = []string{"fp0", "fp2", "fp5"}, true
			gotT, err := issuestats.Total(tr).Run(ctx, s)
			if err != nil {
				t.Fatal(err)
			}
			wantT, err := issuestats.Total(tr).Run(ctx, plain{s})
			if err != nil {
				t.Fatal(err)
			}
			if gotT != wantT {
				t.Fatalf("IssueTotal(%+v) = %+v, table %+v", tr, gotT, wantT)
			}
			// Series over whole hours come from the index.
			h0 := from / hourMicros * hourMicros // from > 0
			sr := store.IssueSeriesRequest{ProjectID: req.ProjectID, Range: store.Range{From: h0, To: h0 + int64(1+r.IntN(30))*hourMicros},
				Fingerprints: []string{"fp0", "fp4", "fp9", "nope"}, Step: hourMicros * int64(1+r.IntN(3))}
			n := int((sr.Range.To - sr.Range.From + sr.Step - 1) / sr.Step)
			gotS, ok := s.IndexedIssueSeries(sr, n)
			if !ok {
				t.Fatalf("series(%+v) not answered by the index", sr)
			}
			wantS, err := issuestats.Series(sr).Run(ctx, plain{s})
			if err != nil {
				t.Fatal(err)
			}
			for _, fp := range sr.Fingerprints {
				if !slices.Equal(gotS[fp], wantS[fp]) {
					t.Fatalf("series(%+v)[%s] = %v, table %v", sr, fp, gotS[fp], wantS[fp])
				}
			}
		}
	}
	check(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = open(t, dir)
	defer s.Close()
	check(s)
}

// hourMicros is the index's bucket width.
const hourMicros = int64(3600 * 1e6)

// plain hides the store's accelerators: the query objects run their SQL.
type plain struct{ sqlq.Executor }

func open(t *testing.T, dir string) *duckdb.Store {
	t.Helper()
	s, err := duckdb.Open(context.Background(), dir, duckdb.Options{MemoryLimit: "256MB"}, nil)
	if err != nil {
		t.Fatalf("Open(%q): %v", dir, err)
	}
	return s
}

// TestIndexByHand: an empty index answers for any project (nothing
// there), declines what it cannot tell and any query, and splits a
// range into whole hours (its own) and edges (the table's).
func TestIndexByHand(t *testing.T) {
	x := errindex.New()
	r := store.Range{From: 0, To: 10 * hourMicros}
	if res, ok := x.IndexedIssueGroups(store.IssueGroupsRequest{ProjectID: 1, Range: r, Users: true}); !ok || len(res.Parts) != 0 || len(res.Edges) != 0 {
		t.Errorf("groups of nothing = %+v, %v", res, ok)
	}
	q, _ := query.Parse("release:1.0")
	if _, ok := x.IndexedIssueGroups(store.IssueGroupsRequest{ProjectID: 1, Range: r, Query: q}); ok {
		t.Error("the index answered a query")
	}
	if _, ok := x.IndexedIssueSeries(store.IssueSeriesRequest{ProjectID: 1, Range: store.Range{From: 1, To: hourMicros}, Step: hourMicros}, 1); ok {
		t.Error("the index answered a series not on whole hours")
	}
	x.Add([]event.Event{{ProjectID: 1, TS: 5, Kind: event.KindError, Fingerprint: "a", UserID: "u"},
		{ProjectID: 1, TS: 7, Kind: event.KindError, Fingerprint: "a", UserID: "u"},
		{ProjectID: 1, TS: hourMicros + 5, Kind: event.KindError, Fingerprint: "a", Release: "1"}}, nil)
	// Hour 0 has events either side of the range's start: an edge.
	res, ok := x.IndexedIssueGroups(store.IssueGroupsRequest{ProjectID: 1, Range: store.Range{From: 6, To: 2 * hourMicros}, Users: true})
	if !ok || res.Parts["a"].Count != 1 || res.Parts["a"].LastRelease != "1" || res.Users["a"] != 1 || len(res.Edges) != 1 ||
		res.Edges[0].Range != (store.Range{From: 6, To: hourMicros}) {
		t.Errorf("one whole hour and an edge = %+v, %v", res, ok)
	}
	// Users of a fingerprint with events after the range are not the index's.
	if _, ok := x.IndexedIssueGroups(store.IssueGroupsRequest{ProjectID: 1, Range: store.Range{From: 0, To: hourMicros}, Users: true}); ok {
		t.Error("the index counted users of a range that ends before the fingerprint's last event")
	}
	if n, ok := x.IndexedIssueUsers(1, store.Range{From: 0, To: 2 * hourMicros}, []string{"a"}); !ok || n != 1 {
		t.Errorf("users = %d, %v", n, ok)
	}
}
