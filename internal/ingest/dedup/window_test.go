package dedup

import "testing"

func TestWindow(t *testing.T) {
	w := New(4)
	a, b := Key(1, "idx", "a"), Key(1, "idx", "b")
	if Key(2, "idx", "a") == a || Key(1, "other", "a") == a {
		t.Fatal("keys must differ by project and scope")
	}
	if w.Reserve(a) != Fresh || w.Reserve(a) != Pending {
		t.Fatal("a reserved key is pending until committed")
	}
	w.Commit([]uint64{a})
	if w.Reserve(a) != Stored {
		t.Fatal("a committed key is stored")
	}
	if w.Reserve(b) != Fresh {
		t.Fatal("b is new")
	}
	w.Release([]uint64{b})
	if w.Reserve(b) != Fresh {
		t.Fatal("a released key can be stored by a retry")
	}
	for i := range 10 {
		k := Key(1, "idx", string(rune('c'+i)))
		w.Reserve(k)
		w.Commit([]uint64{k})
	}
	if w.Len() > 4 {
		t.Fatalf("window holds %d keys, want at most 4", w.Len())
	}
	if w.Reserve(a) != Fresh {
		t.Fatal("an old key falls out of the window")
	}
	if New(0).Reserve(a) != Fresh {
		t.Fatal("a disabled window remembers nothing")
	}
}
