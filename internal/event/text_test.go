package event

import (
	"testing"
	"unicode/utf8"
)

func TestValidText(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		if got := ValidText(in); got != want {
			t.Errorf("ValidText(%q) = %q, want %q", in, got, want)
		}
	}
	f("", "")
	f("plain", "plain")
	f("héllo", "héllo")
	f("bad=\xff\xfe", "bad=\uFFFD")
	f("a\x00b", "a\uFFFDb")
	f("é\x00\xff", "é\uFFFD\uFFFD")
}

func TestCutText(t *testing.T) {
	f := func(in string, n int, want string) {
		t.Helper()
		got := CutText(in, n)
		if got != want {
			t.Errorf("CutText(%q, %d) = %q, want %q", in, n, got, want)
		}
		if !utf8.ValidString(got) || len(got) > max(n, 0) {
			t.Errorf("CutText(%q, %d) = %q: invalid or too long", in, n, got)
		}
	}
	f("abc", 5, "abc")
	f("abc", 2, "ab")
	f("aé", 2, "a") // é is two bytes: never cut in half
	f("aé", 3, "aé")
	f("€€", 4, "€")
	f("x\xff", 2, "x") // U+FFFD is three bytes
	f("abc", -1, "")
}

func FuzzCutText(f *testing.F) {
	f.Add("aé€\xff\x00", 3)
	f.Fuzz(func(t *testing.T, s string, n int) {
		n %= 256
		got := CutText(s, n)
		if !utf8.ValidString(got) || len(got) > max(n, 0) {
			t.Fatalf("CutText(%q, %d) = %q", s, n, got)
		}
		for i := 0; i < len(got); i++ {
			if got[i] == 0 {
				t.Fatalf("CutText(%q, %d) kept a NUL", s, n)
			}
		}
	})
}
