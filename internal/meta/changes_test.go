package meta

import (
	"context"
	"maps"
	"testing"
)

// TestStoreChanges: each bump moves its project's count by one, whoever
// bumps it (two stores on one database: two nodes), and the counts read
// back are every project's.
func TestStoreChanges(t *testing.T) {
	engines(t, func(t *testing.T, where string) {
		ctx := context.Background()
		a, err := Open(ctx, where)
		if err != nil {
			t.Fatal(err)
		}
		defer a.Close()
		b, err := Open(ctx, where)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		if got, err := b.StoreChanges(ctx); err != nil || len(got) != 0 {
			t.Fatalf("counts before any deletion: %v, %v; want none", got, err)
		}
		for _, bump := range []struct {
			s       *Store
			project int64
		}{{a, 1}, {b, 1}, {a, 2}, {b, 0}, {a, 1}} {
			if err := bump.s.BumpStoreChanges(ctx, bump.project); err != nil {
				t.Fatal(err)
			}
		}
		want := map[int64]int64{0: 1, 1: 3, 2: 1}
		for _, s := range []*Store{a, b} {
			if got, err := s.StoreChanges(ctx); err != nil || !maps.Equal(got, want) {
				t.Errorf("counts: %v, %v; want %v", got, err, want)
			}
		}
	})
}
