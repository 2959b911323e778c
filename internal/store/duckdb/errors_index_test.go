package duckdb

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// TestErrorIndexMatchesTable checks every answer the error index gives
// against the same aggregate over the events table, for random ranges
// (partial hours at both edges, ranges ending before the last event),
// fingerprint lists and user counts — fed batch by batch, out of time
// order, and again after a reopen rebuilds the index from the table.
func TestErrorIndexMatchesTable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := openTest(t, dir)
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
	check := func(s *Store) {
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
			got, err := s.IssueGroups(ctx, req)
			if err != nil {
				t.Fatal(err)
			}
			want, err := s.issueGroupsSQL(ctx, req)
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
			gotT, err := s.IssueTotal(ctx, tr)
			if err != nil {
				t.Fatal(err)
			}
			inner, args, _, _ := s.errorRows(tr)
			var wantT store.IssueGroup
			row := s.db.QueryRowContext(ctx, `SELECT `+errorAggCols(true)+` FROM (`+inner+`) HAVING count(*) > 0`, args...)
			if err := row.Scan(&wantT.Count, &wantT.Users, &wantT.FirstSeen, &wantT.LastSeen, &wantT.FirstRelease, &wantT.LastRelease); err != nil && wantT.Count != 0 {
				t.Fatal(err)
			}
			if gotT != wantT {
				t.Fatalf("IssueTotal(%+v) = %+v, table %+v", tr, gotT, wantT)
			}
			// Series over whole hours come from the index.
			h0 := floorHour(from) * hourMicros
			sr := store.IssueSeriesRequest{ProjectID: req.ProjectID, Range: store.Range{From: h0, To: h0 + int64(1+r.IntN(30))*hourMicros},
				Fingerprints: []string{"fp0", "fp4", "fp9", "nope"}, Step: hourMicros * int64(1+r.IntN(3))}
			n := int((sr.Range.To - sr.Range.From + sr.Step - 1) / sr.Step)
			gotS, ok := s.errs.series(sr, n)
			if !ok {
				t.Fatalf("series(%+v) not answered by the index", sr)
			}
			wantS, err := s.issueSeriesSQL(ctx, sr, n)
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
	s = openTest(t, dir)
	defer s.Close()
	check(s)
}
