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

// TestFlushRequests: a flush request made through one store is read
// through another, which answers it; the answers are the holders', once
// each; the live leases are found by their names' prefix.
func TestFlushRequests(t *testing.T) {
	engines(t, func(t *testing.T, where string) {
		ctx := context.Background()
		a, b := openTest(t, where), openTest(t, where)
		id, err := a.RequestFlush(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := b.FlushRequests(ctx, 0, 0); err != nil || !slices.Equal(got, []int64{id}) {
			t.Fatalf("flush requests: %v, %v; want [%d]", got, err, id)
		}
		if got, err := b.FlushRequests(ctx, id, 0); err != nil || len(got) != 0 {
			t.Errorf("flush requests after the last: %v, %v; want none", got, err)
		}
		if got, err := b.FlushRequests(ctx, id, time.Minute); err != nil || !slices.Equal(got, []int64{id}) {
			t.Errorf("flush requests after the last or of the last minute: %v, %v; want [%d]", got, err, id)
		}
		for _, h := range []string{"node-b #1", "node-c #2", "node-b #1"} {
			if err := b.AckFlush(ctx, id, h); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := a.FlushedBy(ctx, id); err != nil || !slices.Equal(got, []string{"node-b #1", "node-c #2"}) {
			t.Errorf("flushed by %v, %v; want node-b and node-c once each", got, err)
		}
		for _, l := range []struct{ name, holder string }{{"writer:a", "a #1"}, {"writer:b_%", "b #2"}, {"writers", "x"}, {"alerts", "a"}} {
			if _, ok, err := a.TryLease(ctx, l.name, l.holder, time.Minute); err != nil || !ok {
				t.Fatal(err)
			}
		}
		got, err := b.LeaseHolders(ctx, "writer:")
		var names []string
		for _, l := range got {
			names = append(names, l.Name+"="+l.Holder)
		}
		if err != nil || !slices.Equal(names, []string{"writer:a=a #1", "writer:b_%=b #2"}) {
			t.Errorf("writer leases: %v, %v", names, err)
		}
	})
}
