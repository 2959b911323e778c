package patterns

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

// TestLoghubDiagnose explains one sample's errors, for work on the miner:
// LORE_PATTERNS_DIAGNOSE=Linux go test ./internal/patterns -run Diagnose -v
// logs each true group the miner split and each mined group that mixes
// true groups, with an example line of each part.
func TestLoghubDiagnose(t *testing.T) {
	name := os.Getenv("LORE_PATTERNS_DIAGNOSE")
	if name == "" {
		t.Skip("set LORE_PATTERNS_DIAGNOSE to a sample's name")
	}
	s := loadSample(t, name)
	if s.name == "" {
		t.Fatalf("no sample %q", name)
	}
	m := NewMiner(DefaultConfig)
	pred := make([]string, len(s.contents))
	for i, c := range s.contents {
		pred[i] = m.Add(c, int64(i)).ID
	}
	for i := range pred {
		pred[i] = m.Canonical(pred[i])
	}
	byTruth, byPred := partition(s.labels, pred), partition(pred, s.labels)
	var b strings.Builder
	fmt.Fprintf(&b, "grouping accuracy %.4f\n== true groups split ==\n", groupingAccuracy(pred, s.labels))
	for _, l := range sortedKeys(byTruth) {
		if parts := byTruth[l]; len(parts) > 1 {
			fmt.Fprintf(&b, "%s split into %d:\n", l, len(parts))
			for _, p := range sortedKeys(parts) {
				g, _ := m.Group(p)
				fmt.Fprintf(&b, "  %5d %s\n        e.g. %s\n", len(parts[p]), g.Template(), s.contents[parts[p][0]])
			}
		}
	}
	b.WriteString("== mined groups mixing true groups ==\n")
	for _, p := range sortedKeys(byPred) {
		if parts := byPred[p]; len(parts) > 1 {
			g, _ := m.Group(p)
			fmt.Fprintf(&b, "%s %s\n", p, g.Template())
			for _, l := range sortedKeys(parts) {
				fmt.Fprintf(&b, "  %s %5d e.g. %s\n", l, len(parts[l]), s.contents[parts[l][0]])
			}
		}
	}
	t.Log("\n" + b.String())
}

// partition groups line numbers by a, then by b.
func partition(a, b []string) map[string]map[string][]int {
	out := map[string]map[string][]int{}
	for i := range a {
		if out[a[i]] == nil {
			out[a[i]] = map[string][]int{}
		}
		out[a[i]][b[i]] = append(out[a[i]][b[i]], i)
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
