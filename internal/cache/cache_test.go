package cache

import (
	"testing"
	"time"
)

// TestTTL: a value is kept for the TTL after it was put, then gone;
// Delete forgets the keys it is told of; a map of values past their time
// is swept as it grows, so that it holds about the live ones.
func TestTTL(t *testing.T) {
	now := time.Unix(1000, 0)
	c := New[int, string](5*time.Second, func() time.Time { return now })
	c.Put(1, "one")
	c.Put(2, "two")
	get := func(k int, want string, wantOK bool) {
		t.Helper()
		if v, ok := c.Get(k); v != want || ok != wantOK {
			t.Errorf("Get(%d) = %q %v, want %q %v", k, v, ok, want, wantOK)
		}
	}
	now = now.Add(4 * time.Second)
	get(1, "one", true)
	c.Put(2, "two again")
	now = now.Add(time.Second)
	get(1, "", false) // 5 s after it was put
	get(2, "two again", true)
	c.Delete(func(k int) bool { return k == 2 })
	get(2, "", false)
	if n := c.Len(); n != 0 {
		t.Errorf("after Delete %d values kept, want 0 (one forgotten, one past its time)", n)
	}
	for i := range 10 * minSweep {
		c.Put(i, "x")
		now = now.Add(time.Second) // each lives 5 puts
	}
	if n := c.Len(); n > minSweep {
		t.Errorf("%d values kept of a stream of short-lived ones, want at most %d", n, minSweep)
	}
}
