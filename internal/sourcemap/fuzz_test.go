package sourcemap

import (
	"os"
	"testing"
)

// FuzzParse checks that no map makes Parse panic, and that every lookup
// in a parsed map stays inside its sources and names.
func FuzzParse(f *testing.F) {
	if b, err := os.ReadFile("testdata/dist-3f9a2b/assets/index-3f9a2b.js.map"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"version":3,"sources":["a.js"],"names":["x"],"mappings":"AAAAA,CAAC;;EAAE"}`))
	f.Add([]byte(`{"version":3,"sources":["a.js"],"names":[],"mappings":"AAAA,gBAAgB"}`))
	f.Add([]byte(`{"version":3,"sections":[]}`))
	f.Add([]byte(`{"version":3,"sources":[null],"sourceRoot":"webpack://x","mappings":"D,E;;;A"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		for line := 0; line <= len(m.lines)+1; line++ {
			for _, col := range []int{0, 1, 2, 10, 1000} {
				p, ok := m.Lookup(line, col)
				if !ok {
					continue
				}
				if p.src < 0 || p.src >= len(m.Sources) || p.Line < 1 || p.Column < 1 {
					t.Fatalf("lookup (%d, %d) = %+v", line, col, p)
				}
				_ = m.Content(p)
			}
		}
	})
}
