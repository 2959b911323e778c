package sourcemap

import (
	"errors"
	"testing"
)

func TestParseAndLookup(t *testing.T) {
	// Two generated lines: "AAAAA" maps col 0 to a.js 1:1 named x; "CAAC"
	// col 1 to 1:2; line 2 "EAAE" col 2 to 1:4.
	m, err := Parse([]byte(`{"version":3,"sources":["a.js"],"sourcesContent":["let x = 1"],"names":["x"],"mappings":"AAAAA,CAAC;EAAE"}`))
	if err != nil {
		t.Fatal(err)
	}
	f := func(line, col int, want Pos, ok bool) {
		t.Helper()
		got, gotOK := m.Lookup(line, col)
		got.src = 0
		if gotOK != ok || ok && got != want {
			t.Errorf("Lookup(%d, %d) = %+v %v, want %+v %v", line, col, got, gotOK, want, ok)
		}
	}
	f(1, 1, Pos{Source: "a.js", Line: 1, Column: 1, Name: "x"}, true)
	f(1, 2, Pos{Source: "a.js", Line: 1, Column: 2}, true)
	f(1, 50, Pos{Source: "a.js", Line: 1, Column: 2}, true)
	f(2, 1, Pos{}, false)
	f(2, 3, Pos{Source: "a.js", Line: 1, Column: 4}, true)
	f(3, 1, Pos{}, false)
	for _, bad := range []string{`{`, `{"version":2}`, `{"version":3,"sections":[{}]}`, `{"version":3,"sources":[],"mappings":"AAAA"}`,
		`{"version":3,"sources":["a"],"mappings":"AA!A"}`, `{"version":3,"sources":["a"],"names":[],"mappings":"AAAAC"}`,
		`{"version":3,"sources":["a"],"mappings":"AAAAAA"}`, `{"version":3,"sources":["a"],"mappings":"gggggggggA"}`} {
		if _, err := Parse([]byte(bad)); !errors.Is(err, ErrMalformed) {
			t.Errorf("Parse(%s) = %v, want ErrMalformed", bad, err)
		}
	}
}

func TestCleanSource(t *testing.T) {
	for in, want := range map[string]string{
		"../../app/src/orders.js":          "app/src/orders.js",
		"webpack://shop/./src/pay.js":      "src/pay.js",
		"webpack:///src/pay.js":            "src/pay.js",
		"https://cdn.example/lib/x.js":     "cdn.example/lib/x.js",
		"./src/components/PayButton.tsx":   "src/components/PayButton.tsx",
		"/home/ci/app/node_modules/a/b.js": "home/ci/app/node_modules/a/b.js",
	} {
		if got := CleanSource(in); got != want {
			t.Errorf("CleanSource(%q) = %q, want %q", in, got, want)
		}
	}
}
