package productindex

import (
	"bufio"
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

func same(s string) string { return s }

// someEvents are n product events, page views and errors of a few users
// and devices, some identified.
func someEvents(r *rand.Rand, n int) []event.Event {
	evs := make([]event.Event, 0, n)
	for i := range n {
		e := event.Event{ProjectID: 1 + r.Int64N(2), TS: int64(i) * 1e6, Kind: event.KindEvent, Name: []string{"View", "Buy", "$pageleave"}[r.IntN(3)]}
		switch r.IntN(4) {
		case 0:
			e.AnonymousID = fmt.Sprintf("d%d", r.IntN(5))
		case 1:
			e.UserID, e.AnonymousID = fmt.Sprintf("u%d", r.IntN(5)), fmt.Sprintf("d%d", r.IntN(5))
		default:
			e.UserID = fmt.Sprintf("u%d", r.IntN(5))
		}
		if r.IntN(5) == 0 {
			e.Kind, e.Name, e.ErrorType = event.KindError, "", "TypeError"
		}
		if r.IntN(6) == 0 {
			e.Kind, e.Name, e.Attributes = event.KindPageview, "$pageview", []event.Attr{{Key: "path", Value: "/p/1"}}
		}
		evs = append(evs, e)
	}
	return evs
}

func TestMedianInt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for n := 1; n < 300; n += 7 {
		for _, spread := range []int64{3, 1000} {
			v := make([]int64, n)
			for i := range v {
				v[i] = r.Int64N(spread)
			}
			s := slices.Clone(v)
			slices.Sort(s)
			want := float64(s[n/2])
			if n%2 == 0 {
				want = float64(s[n/2-1]) + float64(s[n/2]-s[n/2-1])/2
			}
			if got := medianInt(v); got != want {
				t.Fatalf("median of %v = %v, want %v", s, got, want)
			}
		}
	}
}

// FuzzProductSnapshot: reading any bytes as a snapshot fails or succeeds,
// never panics, and a snapshot read back writes the same bytes.
func FuzzProductSnapshot(f *testing.F) {
	x := New(same)
	x.Add(someEvents(rand.New(rand.NewPCG(5, 6)), 60))
	var buf bytes.Buffer
	w := bufio.NewWriter(&buf)
	if err := x.write(w, 3, 60); err != nil {
		f.Fatal(err)
	}
	w.Flush()
	f.Add(buf.Bytes())
	f.Add([]byte(productSnapshotMagic))
	f.Fuzz(func(t *testing.T, b []byte) {
		y := New(same)
		if _, ok, err := y.read(bufio.NewReader(bytes.NewReader(b)), 3, 60); err != nil || !ok {
			return
		}
		var out bytes.Buffer
		w := bufio.NewWriter(&out)
		if err := y.write(w, 3, 60); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		z := New(same)
		if _, ok, err := z.read(bufio.NewReader(bytes.NewReader(out.Bytes())), 3, 60); err != nil || !ok {
			t.Fatalf("a snapshot written from a read one does not read back: %v", err)
		}
	})
}

// TestFunnelMergesIdentities: a device's events count for the user it is
// later identified as, a step filter is left to SQL, and a nil index
// answers nothing.
func TestFunnelMergesIdentities(t *testing.T) {
	x := New(same)
	x.Add([]event.Event{
		{ProjectID: 1, TS: 1e6, Kind: event.KindEvent, Name: "View", AnonymousID: "d1"},
		{ProjectID: 1, TS: 2e6, Kind: event.KindEvent, Name: "View", UserID: "bob"},
	})
	req := store.FunnelRequest{ProjectID: 1, Range: store.Range{From: 0, To: 100e6}, Window: 50e6, Steps: []store.Step{{Name: "View"}, {Name: "Buy"}}}
	w, ok := x.IndexedFunnel(req)
	if !ok || !slices.Equal(w.Persons, []int64{2, 0}) {
		t.Fatalf("before identify: %+v %v, want 2 persons at the first step", w, ok)
	}
	x.Add([]event.Event{{ProjectID: 1, TS: 3e6, Kind: event.KindEvent, Name: "Buy", UserID: "alice", AnonymousID: "d1"}})
	x.Compact()
	if clustered, rows, _ := x.Layout(1); clustered != rows || rows != 3 {
		t.Errorf("layout after Compact: %d of %d rows clustered, want all 3", clustered, rows)
	}
	w, ok = x.IndexedFunnel(req)
	if !ok || !slices.Equal(w.Persons, []int64{2, 1}) || len(w.Dropped) != 1 || w.Dropped[0].Person != "bob" {
		t.Errorf("after d1 became alice: %+v %v, want alice converted and bob dropped", w, ok)
	}
	where, err := query.Parse("plan:pro")
	if err != nil {
		t.Fatal(err)
	}
	filtered := req
	filtered.Steps = []store.Step{{Name: "View", Where: where}, {Name: "Buy"}}
	if _, ok := x.IndexedFunnel(filtered); ok {
		t.Errorf("a step filter was answered by the index")
	}
	var none *Index
	if _, ok := none.IndexedFunnel(req); ok {
		t.Errorf("a nil index answered")
	}
}
