package meta

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestErasures: an erasure recorded through one store (node) is read
// through another with its ids; a reader asking after the last id it saw
// gets only newer ones, but those of the last moments again; pruning
// drops the old ones.
func TestErasures(t *testing.T) {
	engines(t, func(t *testing.T, where string) {
		ctx := context.Background()
		a, b := openTest(t, where), openTest(t, where)
		first, err := a.RecordErasure(ctx, 1, "erin", []string{"anon-1"}, []string{"s-1", "s-2"})
		if err != nil {
			t.Fatal(err)
		}
		second, err := b.RecordErasure(ctx, 2, "bob", nil, nil)
		if err != nil || second <= first {
			t.Fatalf("second erasure: id %d, %v; want more than %d", second, err, first)
		}
		got, err := b.ErasuresSince(ctx, 0, 0)
		if err != nil || len(got) != 2 {
			t.Fatalf("erasures: %+v, %v; want 2", got, err)
		}
		if e := got[0]; e.ID != first || e.ProjectID != 1 || e.UserID != "erin" || !slices.Equal(e.AnonymousIDs, []string{"anon-1"}) ||
			!slices.Equal(e.Sessions, []string{"s-1", "s-2"}) || time.Since(e.ErasedAt).Abs() > time.Minute {
			t.Errorf("first erasure read back as %+v", e)
		}
		if got, err := a.ErasuresSince(ctx, first, 0); err != nil || len(got) != 1 || got[0].UserID != "bob" {
			t.Errorf("erasures after the first: %+v, %v; want bob's", got, err)
		}
		if got, err := a.ErasuresSince(ctx, second, time.Minute); err != nil || len(got) != 2 {
			t.Errorf("erasures after the second or of the last minute: %+v, %v; want both", got, err)
		}
		time.Sleep(20 * time.Millisecond)
		if err := a.PruneErasures(ctx, 10*time.Millisecond); err != nil {
			t.Fatal(err)
		}
		if got, err := b.ErasuresSince(ctx, 0, 0); err != nil || len(got) != 0 {
			t.Errorf("erasures after pruning: %+v, %v; want none", got, err)
		}
	})
}
