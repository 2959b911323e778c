package privacy

import (
	"strings"
	"testing"
)

// The cheap tests that skip a text rule's regular expression must never
// skip text the expression matches (or scrubbing would change).

var gateSeeds = []string{
	"login failed password=hunter2 user=bob",
	`{\"Password\" : \"x\"}`,
	"CREDENTIALS:\tabc", "api-KEY='k'", "cache miss key=sess:abc ttl=60s token=3",
	"card 4111 1111 1111 1111 declined", "4111-1111-1111-1111", "1 2 3 4 5 6 7 8 9 0 1 2 3",
	"12345678901-23", "accepted connection from 10.1.2.3:34567 fd=1234",
	"toKen=abc", "ſecret=1", "AKIAIOSFODNN7EXAMPLE", "ghp_x", "glpat-", "k_live_", "eyJ", "lore_in_",
	"Token expired", "BASIC auth", "",
}

func FuzzTextGates(f *testing.F) {
	for _, s := range gateSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !mayMatchKV(s) && reKV.MatchString(s) {
			t.Fatalf("mayMatchKV(%q) is false but reKV matches %q", s, reKV.FindString(s))
		}
		if !mayBeCard(s) && reCard.MatchString(s) {
			t.Fatalf("mayBeCard(%q) is false but reCard matches %q", s, reCard.FindString(s))
		}
		if got, want := hasKeyHint(s), hasKeyHintSpec(s); got != want {
			t.Fatalf("hasKeyHint(%q) = %v, want %v", s, got, want)
		}
		for _, subs := range [][]string{kvHints, {"cookie"}, {"bearer", "basic", "token", "digest", "apikey"}} {
			if got, want := containsFold(s, subs...), containsFoldSpec(s, subs...); got != want {
				t.Fatalf("containsFold(%q, %q) = %v, want %v", s, subs, got, want)
			}
		}
	})
}

func TestTextGates(t *testing.T) {
	for _, s := range gateSeeds {
		if !mayMatchKV(s) && reKV.MatchString(s) {
			t.Errorf("mayMatchKV(%q) is false but reKV matches", s)
		}
		if !mayBeCard(s) && reCard.MatchString(s) {
			t.Errorf("mayBeCard(%q) is false but reCard matches", s)
		}
		if hasKeyHint(s) != hasKeyHintSpec(s) {
			t.Errorf("hasKeyHint(%q) = %v", s, hasKeyHint(s))
		}
		if containsFold(s, kvHints...) != containsFoldSpec(s, kvHints...) {
			t.Errorf("containsFold(%q) = %v", s, containsFold(s, kvHints...))
		}
	}
	// The gates do skip the common case.
	for _, s := range []string{"cache miss key=sess:abc ttl=60s", "rotated token after 3 retries",
		"accepted connection from 10.1.2.3:34567 fd=1234 tls=true"} {
		if mayMatchKV(s) {
			t.Errorf("mayMatchKV(%q) = true, want false", s)
		}
	}
	if mayBeCard("accepted connection from 10.1.2.3:34567 fd=1234 at 1733400000") {
		t.Error("mayBeCard of separate numbers = true, want false")
	}
	if !mayBeCard("card 4111 1111 1111 1111") || !mayBeCard("4111-1111-1111-1111") {
		t.Error("mayBeCard of a card number = false")
	}
}

// hasKeyHintSpec is what hasKeyHint means.
func hasKeyHintSpec(s string) bool {
	for _, h := range []string{"AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "gh", "xox", "k_live_", "k_test_", "AIza", "eyJ", "lore_", "glpat-"} {
		if strings.Contains(s, h) {
			return true
		}
	}
	return false
}

// containsFoldSpec is what containsFold means: s lower-cased when it has
// an ASCII upper-case letter.
func containsFoldSpec(s string, subs ...string) bool {
	lower := s
	if strings.ContainsFunc(s, func(r rune) bool { return r >= 'A' && r <= 'Z' }) {
		lower = strings.ToLower(s)
	}
	for _, sub := range subs {
		if strings.Contains(lower, sub) {
			return true
		}
	}
	return false
}
