package meta

import "testing"

// FuzzParsePHC: any stored hash string is parsed or refused, never a
// panic; what parses has bounded parameters.
func FuzzParsePHC(f *testing.F) {
	f.Add("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g")
	f.Add("$argon2id$v=19$m=0,t=2,p=1$AAAA$AAAA")
	f.Add("$argon2i$v=19$m=19456,t=2,p=1$AAAA$AAAA")
	f.Add("$argon2id$v=18$m=1,t=1,p=1$$")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		ph, err := parsePHC(s)
		if err != nil {
			return
		}
		if ph.m == 0 || ph.m > 1<<20 || ph.t == 0 || ph.t > 16 || ph.p == 0 || len(ph.hash) == 0 {
			t.Fatalf("parsed out-of-bounds parameters from %q: %+v", s, ph)
		}
		if ph.m <= 64 && ph.t <= 2 {
			if _, err := CheckPassword(s, "password"); err != nil {
				t.Fatalf("CheckPassword(%q) after a parse: %v", s, err)
			}
		}
	})
}
