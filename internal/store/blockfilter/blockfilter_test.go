package blockfilter

import (
	"slices"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func TestMergeRanges(t *testing.T) {
	f := func(in []TSRange, limit int, want []TSRange) {
		t.Helper()
		if got := MergeRanges(slices.Clone(in), limit); !slices.Equal(got, want) {
			t.Errorf("MergeRanges(%v, %d) = %v, want %v", in, limit, got, want)
		}
	}
	f(nil, 3, nil)
	f([]TSRange{{5, 9}, {0, 3}, {4, 4}}, 3, []TSRange{{0, 9}})
	f([]TSRange{{0, 1}, {10, 11}, {13, 14}, {100, 101}}, 3, []TSRange{{0, 1}, {10, 14}, {100, 101}})
	f([]TSRange{{0, 1}, {10, 11}, {13, 14}, {100, 101}}, 1, []TSRange{{0, 101}})
}

func TestGramsPrune(t *testing.T) {
	b := New(1<<12, gramK)
	AddGrams(b, "Payment FAILED: card declined for Order-981")
	for _, w := range []string{"payment", "failed", "card decl", "order-981", "pay", "ment"} {
		if !HasGrams(b, w) {
			t.Errorf("HasGrams(%q) = false for a substring of the message", w)
		}
	}
	for _, w := range []string{"timeout", "refund", "order-982"} {
		if HasGrams(b, w) {
			t.Errorf("HasGrams(%q) = true for a needle not in the message", w)
		}
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	for _, b := range []*Filter{New(1000, 9), NewMasking(10, 2)} {
		for i := uint64(0); i < 50; i++ {
			b.Add(i * 0x9E3779B97F4A7C15)
		}
		b.Fold(0.5)
		got, err := Unmarshal(b.Marshal())
		if err != nil {
			t.Fatal(err)
		}
		for i := uint64(0); i < 50; i++ {
			if !got.Has(i * 0x9E3779B97F4A7C15) {
				t.Fatalf("lost hash %d after a round trip (mask %v)", i, b.mask)
			}
		}
	}
	for _, p := range [][]byte{nil, {9}, {9, 1, 2}, {0, 0, 0, 0, 0, 0, 0, 0, 0}, append([]byte{0x82}, make([]byte, 24)...)} {
		if _, err := Unmarshal(p); err == nil {
			t.Errorf("Unmarshal(%v) accepted a malformed filter", p)
		}
	}
}

func TestCutAndCandidates(t *testing.T) {
	const hour = int64(3600 * 1e6)
	var evs []event.Event
	for i := range 3 * Rows {
		e := event.Event{ProjectID: 1, TS: int64(i) * 1000, Message: "routine heartbeat"}
		if i == Rows+7 {
			e.UserID, e.Message = "alice", "Payment FAILED for alice"
		}
		evs = append(evs, e)
	}
	evs = append(evs, event.Event{ProjectID: 1, TS: 3*hour + 5, Message: "late"}, event.Event{ProjectID: 2, TS: 3*hour + 5, UserID: "alice"})
	order := make([]int32, len(evs))
	for i := range order {
		order[i] = int32(i)
	}
	placed := Cut(evs, order, func(s string) string { return s })
	if len(placed) != 5 {
		t.Fatalf("cut into %d blocks, want 5 (3 full, 1 an hour later, 1 of project 2)", len(placed))
	}
	set := NewSet()
	for _, p := range placed {
		set.Add(p.Project, p.Block)
	}
	user := KeyHash(KeyUser, "alice")
	got := set.Candidates(1, 0, 4*hour, func(b *Block) bool { return b.Keys.Has(user) })
	if len(got) != 1 || got[0].Lo > int64(Rows+7)*1000 || got[0].Hi < int64(Rows+7)*1000 {
		t.Errorf("alice's candidates = %v, want the second block", got)
	}
	if w := set.Words(1, 0, 4*hour, []string{"payment failed"}); len(w) != 1 || w[0].Lo != int64(Rows)*1000 {
		t.Errorf("word candidates = %v, want the second block", w)
	}
	if w := set.Words(1, 0, 4*hour, []string{"refund"}); len(w) != 0 {
		t.Errorf("a word in no block has candidates %v", w)
	}
	set.Drop(1, 3*hour, nil)
	if c := set.Candidates(1, 0, 4*hour, func(*Block) bool { return true }); len(c) != 1 || c[0].Lo != 3*hour+5 {
		t.Errorf("after dropping what ends before 3h: %v, want the late block", c)
	}
	if s := set.Slices(2, 0, 4*hour, 10); len(s) != 1 || s[0].From != 0 || s[0].To != 4*hour {
		t.Errorf("project 2's slices = %v", s)
	}
}
