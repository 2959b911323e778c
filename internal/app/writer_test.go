package app

import (
	"net/url"
	"strings"
	"testing"
)

// TestKeepWriter: a data directory keeps the node id its log was loaded
// into ClickHouse under, the default (none) too.
func TestKeepWriter(t *testing.T) {
	for _, first := range []string{"", "node-a"} {
		dir := t.TempDir()
		if err := keepWriter(dir, first); err != nil {
			t.Fatalf("first start as %q: %v", first, err)
		}
		if err := keepWriter(dir, first); err != nil {
			t.Errorf("restart as %q: %v", first, err)
		}
		for _, other := range []string{"", "node-a", "node-b"} {
			if other == first {
				continue
			}
			if err := keepWriter(dir, other); err == nil || !strings.Contains(err.Error(), `--node-id "`+first+`"`) {
				t.Errorf("data directory of %q started as %q: %v, want a refusal naming %q", first, other, err, first)
			}
		}
	}
}

func TestStoreWriter(t *testing.T) {
	for _, c := range []struct{ url, node, want, writer string }{
		{"clickhouse://ch:8123/lore", "", "clickhouse://ch:8123/lore", ""},
		{"clickhouse://u:p@ch:8123/lore?max_threads=2", "node a", "clickhouse://u:p@ch:8123/lore?max_threads=2&writer=node+a", "node a"},
		{"clickhouse://ch:8123/lore?writer=mine", "node-a", "clickhouse://ch:8123/lore?writer=mine", "mine"},
	} {
		u, err := url.Parse(c.url)
		if err != nil {
			t.Fatal(err)
		}
		if got, w := storeWriter(u, c.node); got != c.want || w != c.writer {
			t.Errorf("storeWriter(%q, %q) = %q, %q; want %q, %q", c.url, c.node, got, w, c.want, c.writer)
		}
	}
}
