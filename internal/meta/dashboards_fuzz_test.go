package meta

import (
	"testing"
)

// FuzzDashboardYAML: an import body never panics the decoder or the
// validation, and a dashboard that passes both survives an export and a
// re-import unchanged in name and panels.
func FuzzDashboardYAML(f *testing.F) {
	f.Add([]byte(checkoutYAML))
	f.Add([]byte("name: x\npanels: [{kind: facet, params: {field: service}}]"))
	f.Add([]byte("name: [a\n"))
	f.Add([]byte("---\n---\nname: y\n"))
	f.Add([]byte(`{"name":"json too","panels":[{"kind":"histogram","query":"level:error"}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		ds, err := UnmarshalYAML[Dashboard](body)
		if err != nil {
			return
		}
		var ok []Dashboard
		for _, d := range ds {
			if d.Validate() == nil {
				ok = append(ok, d)
			}
		}
		if len(ok) == 0 {
			return
		}
		y, err := MarshalYAML(ok)
		if err != nil {
			t.Fatalf("export of valid dashboards: %v", err)
		}
		back, err := UnmarshalYAML[Dashboard](y)
		if err != nil {
			t.Fatalf("re-import of our own export: %v\n%s", err, y)
		}
		if len(back) != len(ok) {
			t.Fatalf("re-import has %d dashboards, want %d", len(back), len(ok))
		}
		for i := range ok {
			if back[i].Name != ok[i].Name || len(back[i].Panels) != len(ok[i].Panels) {
				t.Fatalf("dashboard %d: %q/%d panels became %q/%d", i, ok[i].Name, len(ok[i].Panels), back[i].Name, len(back[i].Panels))
			}
		}
	})
}
