package meta

import (
	"context"
	"slices"
	"testing"
)

// TestPatternClaims: two nodes claiming an id for the same stream and
// template end with the first node's id; an id another template of the
// project holds is refused; another project or service may claim the
// same template; the claims read back in claim order, from where a reader
// stopped.
func TestPatternClaims(t *testing.T) { engines(t, testPatternClaims) }

func testPatternClaims(t *testing.T, where string) {
	ctx := context.Background()
	a, b := openTest(t, where), openTest(t, where)
	claim := func(s *Store, c PatternClaim, wantOK bool) PatternClaim {
		t.Helper()
		got, ok, err := s.ClaimPattern(ctx, c)
		if err != nil || ok != wantOK {
			t.Fatalf("claim %+v: ok %v (%v), want %v", c, ok, err, wantOK)
		}
		return got
	}
	first := claim(a, PatternClaim{Project: 1, Service: "api", Key: "k1", Template: `["user","alice"]`, ID: "p00010000000a"}, true)
	if first.ID != "p00010000000a" || first.Seq == 0 || first.At == 0 {
		t.Fatalf("first claim: %+v", first)
	}
	second := claim(b, PatternClaim{Project: 1, Service: "api", Key: "k1", Template: `["user","alice"]`, ID: "p00010000000b"}, true)
	if second.ID != first.ID || second.Seq != first.Seq {
		t.Errorf("the second node's claim of the same template: %+v, want the first's %+v", second, first)
	}
	claim(b, PatternClaim{Project: 1, Service: "api", Key: "k2", Template: `["user","bob"]`, ID: "p00010000000a"}, false)
	bob := claim(b, PatternClaim{Project: 1, Service: "api", Key: "k2", Template: `["user","bob"]`, ID: "p00010000000c"}, true)
	other := claim(a, PatternClaim{Project: 2, Service: "api", Key: "k1", Template: `["user","alice"]`, ID: "p00010000000a"}, true)
	web := claim(a, PatternClaim{Project: 1, Service: "web", Key: "k1", Template: `["user","alice"]`, ID: "p00020000000a"}, true)

	all, err := b.PatternClaims(ctx, 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for _, c := range all {
		seqs = append(seqs, c.Seq)
	}
	if want := []int64{first.Seq, bob.Seq, other.Seq, web.Seq}; !slices.Equal(seqs, want) {
		t.Fatalf("claims: %+v, want seqs %v", all, want)
	}
	if all[1] != bob {
		t.Errorf("claim read back %+v, want %+v", all[1], bob)
	}
	rest, err := b.PatternClaims(ctx, all[1].At, all[1].Seq, 1)
	if err != nil || len(rest) != 1 || rest[0] != other {
		t.Errorf("claims after the second, one: %+v (%v), want %+v", rest, err, other)
	}
}

// TestPatternMerges: merges read back in the order they were recorded,
// from where a reader stopped; the same merge recorded twice is one.
func TestPatternMerges(t *testing.T) { engines(t, testPatternMerges) }

func testPatternMerges(t *testing.T, where string) {
	ctx := context.Background()
	a, b := openTest(t, where), openTest(t, where)
	for _, m := range []PatternMerge{
		{Project: 1, Service: "api", ID: "p1", Into: "p2"},
		{Project: 1, Service: "api", ID: "p3", Into: "p2"},
		{Project: 1, Service: "api", ID: "p1", Into: "p2"},
	} {
		if err := a.MergePatterns(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	all, err := b.PatternMerges(ctx, 0, 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != "p1" || all[1].ID != "p3" || all[1].Into != "p2" || all[1].Service != "api" || all[1].At == 0 {
		t.Fatalf("merges: %+v, want p1 and p3 into p2", all)
	}
	rest, err := b.PatternMerges(ctx, all[0].At, all[0].Seq, 10)
	if err != nil || len(rest) != 1 || rest[0] != all[1] {
		t.Errorf("merges after the first: %+v (%v), want %+v", rest, err, all[1])
	}
}
