package meta

import (
	"context"
	"testing"
	"time"
)

// TestRotateKeyWithOverlap: the old key works for the overlap and then
// expires; a key that expires sooner than the overlap keeps its own
// expiry.
func TestRotateKeyWithOverlap(t *testing.T) { engines(t, testRotateKeyWithOverlap) }

func testRotateKeyWithOverlap(t *testing.T, where string) {
	ctx := context.Background()
	s := openTest(t, where)
	expiry := func(id int64) time.Time {
		t.Helper()
		k, err := s.key(ctx, 1, id)
		if err != nil || k.ExpiresAt == "" {
			t.Fatalf("key %d: %+v %v, want an expiry", id, k, err)
		}
		at, err := time.Parse(time.RFC3339, k.ExpiresAt)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	_, never, err := s.CreateKeyExpiring(ctx, 1, RoleRead, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RotateKey(ctx, 1, never.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(expiry(never.ID)); d < 59*time.Minute || d > time.Hour+time.Minute {
		t.Errorf("a key that never expired expires in %v after a 1h overlap", d)
	}
	_, soon, err := s.CreateKeyExpiring(ctx, 1, RoleRead, 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.RotateKey(ctx, 1, soon.ID, time.Hour); err != nil {
		t.Fatal(err)
	}
	if d := time.Until(expiry(soon.ID)); d > 11*time.Minute {
		t.Errorf("a key expiring in 10m expires in %v after a 1h overlap, want its own expiry", d)
	}
}
