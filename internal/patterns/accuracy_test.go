package patterns

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// loghubDir holds the labelled Loghub samples (see its README.md).
const loghubDir = "../../../shared/data/loghub"

// publishedDrain is the grouping accuracy published for Drain on each
// sample (the logparser benchmark, quoted in loghubDir/README.md).
var publishedDrain = map[string]float64{
	"HDFS": 0.9975, "Hadoop": 0.9475, "Spark": 0.920, "Zookeeper": 0.9665,
	"BGL": 0.9625, "Apache": 1.000, "OpenSSH": 0.7875, "Linux": 0.690,
}

// sample is one labelled data set: each line's content and true group.
type sample struct {
	name     string
	contents []string
	labels   []string
}

func loadSample(t testing.TB, name string) sample {
	t.Helper()
	path := filepath.Join(loghubDir, name, name+"_2k.log_structured.csv")
	f, err := os.Open(path)
	if err != nil {
		t.Skipf("Loghub sample not available: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	s := sample{name: name}
	for _, r := range rows[1:] {
		s.contents = append(s.contents, r[col["Content"]])
		s.labels = append(s.labels, r[col["EventId"]])
	}
	return s
}

// groupingAccuracy is the measure of the Loghub benchmark (Zhu et al.,
// "Tools and Benchmarks for Automated Log Parsing", ICSE-SEIP 2019): the
// share of lines whose predicted group holds exactly the lines of their
// true group.
func groupingAccuracy(pred, truth []string) float64 {
	truthSize := map[string]int{}
	for _, l := range truth {
		truthSize[l]++
	}
	members := map[string][]int{}
	for i, p := range pred {
		members[p] = append(members[p], i)
	}
	correct := 0
	for _, idx := range members {
		l := truth[idx[0]]
		ok := truthSize[l] == len(idx)
		for _, i := range idx[1:] {
			if truth[i] != l {
				ok = false
				break
			}
		}
		if ok {
			correct += len(idx)
		}
	}
	return float64(correct) / float64(len(truth))
}

func mine(s sample, cfg Config) []string {
	m := NewMiner(cfg)
	pred := make([]string, len(s.contents))
	for i, c := range s.contents {
		pred[i] = m.Add(c, int64(i)).ID
	}
	return pred
}

var sampleNames = []string{"HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "Apache", "OpenSSH", "Linux"}

// TestLoghubAccuracy mines each labelled sample with the default
// configuration and requires the grouping accuracy published for Drain.
// With LORE_PATTERNS_TABLE=1 it prints the table kept in BENCHMARKS.md.
func TestLoghubAccuracy(t *testing.T) {
	var table strings.Builder
	table.WriteString("| data set | Lore | Drain (published) | lines/s |\n|---|---|---|---|\n")
	var sum, sumPub float64
	for _, name := range sampleNames {
		s := loadSample(t, name)
		start := time.Now()
		const rounds = 5
		var pred []string
		for range rounds {
			pred = mine(s, Config{})
		}
		rate := float64(rounds*len(s.contents)) / time.Since(start).Seconds()
		acc := groupingAccuracy(pred, s.labels)
		sum += acc
		sumPub += publishedDrain[name]
		fmt.Fprintf(&table, "| %s | %.4f | %.4f | %.0f |\n", name, acc, publishedDrain[name], rate)
		if acc < publishedDrain[name] {
			t.Errorf("%s: grouping accuracy %.4f, below Drain's published %.4f", name, acc, publishedDrain[name])
		}
	}
	fmt.Fprintf(&table, "| **mean** | **%.4f** | %.4f | |\n", sum/float64(len(sampleNames)), sumPub/float64(len(sampleNames)))
	if os.Getenv("LORE_PATTERNS_TABLE") != "" {
		t.Log("\n" + table.String())
	}
}

// TestLoghubGolden keeps the templates mined from two samples, with their
// counts, as golden files; LORE_UPDATE_GOLDEN=1 rewrites them. A change
// to masking or to the tree shows here as a readable diff.
func TestLoghubGolden(t *testing.T) {
	for _, name := range []string{"HDFS", "OpenSSH"} {
		s := loadSample(t, name)
		m := NewMiner(Config{})
		for i, c := range s.contents {
			m.Add(c, int64(i))
		}
		gs := m.Groups()
		sort.Slice(gs, func(i, j int) bool {
			if gs[i].Count != gs[j].Count {
				return gs[i].Count > gs[j].Count
			}
			return gs[i].Template() < gs[j].Template()
		})
		var b strings.Builder
		for _, g := range gs {
			fmt.Fprintf(&b, "%5d %s %s\n", g.Count, g.ID, g.Template())
		}
		path := filepath.Join("testdata", "golden", name+".txt")
		if os.Getenv("LORE_UPDATE_GOLDEN") != "" {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("read golden file (LORE_UPDATE_GOLDEN=1 writes it): %v", err)
		}
		if got := b.String(); got != string(want) {
			t.Errorf("%s templates differ from %s (LORE_UPDATE_GOLDEN=1 to accept):\n%s", name, path, got)
		}
	}
}
