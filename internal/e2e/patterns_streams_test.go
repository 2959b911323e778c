package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/patterns"
)

// loghubSamples are the labelled Loghub samples beside the repository
// (shared/data/loghub; $LORE_LOGHUB_DIR elsewhere).
var loghubSamples = []string{"HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "Apache", "OpenSSH", "Linux"}

func loghubDir(t *testing.T) string {
	if d := os.Getenv("LORE_LOGHUB_DIR"); d != "" {
		return d
	}
	dir, _ := filepath.Abs(".")
	for {
		d := filepath.Join(dir, "shared", "data", "loghub")
		if _, err := os.Stat(d); err == nil {
			return d
		}
		if filepath.Dir(dir) == dir {
			t.Skip("Loghub samples not available (set LORE_LOGHUB_DIR)")
		}
		dir = filepath.Dir(dir)
	}
}

// readLoghub returns a sample's messages and true groups.
func readLoghub(t *testing.T, dir, name string) (contents, labels []string) {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, name, name+"_2k.log_structured.csv"))
	if err != nil {
		t.Skipf("Loghub sample: %v", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range rows[0] {
		col[h] = i
	}
	for _, r := range rows[1:] {
		contents = append(contents, r[col["Content"]])
		labels = append(labels, r[col["EventId"]])
	}
	return contents, labels
}

// groupingAccuracy is the Loghub benchmark's measure (Zhu et al., ICSE-SEIP
// 2019): the share of lines whose predicted group holds exactly the lines
// of their true group.
func groupingAccuracy(pred, truth []string) float64 {
	size := map[string]int{}
	for _, l := range truth {
		size[l]++
	}
	members := map[string][]int{}
	for i, p := range pred {
		members[p] = append(members[p], i)
	}
	correct := 0
	for _, idx := range members {
		l, ok := truth[idx[0]], size[truth[idx[0]]] == len(idx)
		for _, i := range idx[1:] {
			ok = ok && truth[i] == l
		}
		if ok {
			correct += len(idx)
		}
	}
	return float64(correct) / float64(len(truth))
}

var patternIDs = regexp.MustCompile(`pattern_id:(p[0-9a-f]+)`)

// TestPatternsPerServiceInterleaved sends the eight Loghub samples to one
// project as eight services, interleaved line by line, through POST
// /api/v1/ingest, and holds each sample's grouping accuracy (pattern ids
// as search shows them, folded as the patterns API folds them) to what
// the miner gets on the sample alone: one service's templates do not
// disturb another's.
func TestPatternsPerServiceInterleaved(t *testing.T) {
	dir := loghubDir(t)
	contents, labels := map[string][]string{}, map[string][]string{}
	for _, name := range loghubSamples {
		contents[name], labels[name] = readLoghub(t, dir, name)
	}
	a := startApp(t)
	t0 := time.Now().UTC().Add(-2 * time.Hour).Truncate(time.Second)
	var lines []string
	n := 0
	for i := 0; i < 2000; i++ {
		for _, name := range loghubSamples {
			if i >= len(contents[name]) {
				continue
			}
			ts := t0.Add(time.Duration(n) * time.Millisecond).Format(time.RFC3339Nano)
			msg, _ := json.Marshal(contents[name][i])
			lines = append(lines, fmt.Sprintf(`{"ts":%q,"level":"info","service":%q,"msg":%s,"line":%d}`, ts, strings.ToLower(name), msg, i))
			n++
		}
	}
	for start := 0; start < len(lines); start += 1000 {
		ingestLines(t, a.URL(), "/api/v1/ingest", "application/x-ndjson", strings.Join(lines[start:min(start+1000, len(lines))], "\n"))
	}
	flush(t, a)
	from, to := t0.Add(-time.Minute).Format(time.RFC3339), t0.Add(time.Hour).Format(time.RFC3339)

	for _, name := range loghubSamples {
		service := strings.ToLower(name)
		// Each row's stamped pattern id, by line.
		stamped := make([]string, len(contents[name]))
		cursor := ""
		for {
			var page searchResult
			getJSON(t, a.URL(), "/api/v1/search", url.Values{"q": {"service:" + service}, "from": {from}, "to": {to}, "limit": {"1000"}, "cursor": {cursor}}, &page)
			for _, e := range page.Events {
				i, err := strconv.Atoi(e.Attributes["line"])
				if err != nil || i < 0 || i >= len(stamped) {
					t.Fatalf("%s: row without its line number: %+v", name, e)
				}
				stamped[i] = e.Attributes["pattern_id"]
			}
			if page.NextCursor == "" || len(page.Events) == 0 {
				break
			}
			cursor = page.NextCursor
		}
		// The patterns API's folding: every id in a pattern's query counts
		// for that pattern.
		var p struct {
			Patterns []struct {
				ID    string `json:"id"`
				Query string `json:"query"`
				Count int64  `json:"count"`
			} `json:"patterns"`
		}
		getJSON(t, a.URL(), "/api/v1/patterns", url.Values{"q": {"service:" + service}, "from": {from}, "to": {to}, "limit": {"1000"}}, &p)
		canonical := map[string]string{}
		var total int64
		for _, pt := range p.Patterns {
			total += pt.Count
			for _, m := range patternIDs.FindAllStringSubmatch(pt.Query, -1) {
				canonical[m[1]] = pt.ID
			}
		}
		// A folded pattern's query finds every one of its rows.
		for _, pt := range p.Patterns {
			if !strings.Contains(pt.Query, " OR ") || pt.Count > 1000 {
				continue
			}
			if got := search(t, a.URL(), pt.Query, from, to, 1000); int64(len(got.Events)) != pt.Count {
				t.Errorf("%s: the query %s finds %d rows, the pattern counts %d", name, pt.Query, len(got.Events), pt.Count)
			}
		}
		if total != int64(len(stamped)) {
			t.Errorf("%s: the patterns API counts %d rows, want %d", name, total, len(stamped))
		}
		pred := make([]string, len(stamped))
		for i, id := range stamped {
			if id == "" {
				t.Fatalf("%s: line %d has no pattern id", name, i)
			}
			if c, ok := canonical[id]; ok {
				pred[i] = c
			} else {
				t.Fatalf("%s: pattern id %s of line %d is in no pattern's query", name, id, i)
			}
		}
		// The same sample mined alone.
		m := patterns.NewMiner(patterns.DefaultConfig)
		alone := make([]string, len(contents[name]))
		for i, c := range contents[name] {
			alone[i] = m.Add(c, int64(i)).ID
		}
		for i := range alone {
			alone[i] = m.Canonical(alone[i])
		}
		got, want := groupingAccuracy(pred, labels[name]), groupingAccuracy(alone, labels[name])
		t.Logf("%s: %.4f interleaved, %.4f alone", name, got, want)
		if got < want {
			t.Errorf("%s: grouping accuracy %.4f interleaved with seven other services, %.4f mined alone", name, got, want)
		}
	}
}

// TestPatternsFloodInOneService floods one service with unique messages
// (more than a stream's bound of groups) and checks that the other
// services' lines keep their pattern ids and templates.
func TestPatternsFloodInOneService(t *testing.T) {
	a := startApp(t)
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	n := 0
	line := func(service, msg string) string {
		n++
		return fmt.Sprintf(`{"ts":%q,"level":"info","service":%q,"msg":%q,"seq":%d}`, t0.Add(time.Duration(n)*time.Millisecond).Format(time.RFC3339Nano), service, msg, n)
	}
	quiet := func() []string {
		var out []string
		for i := range 30 {
			out = append(out, line("checkout", fmt.Sprintf("order %d paid in %d ms", 1000+i, 20+i)))
			out = append(out, line("search", fmt.Sprintf("query for %q returned %d hits", "shoes", i)))
			out = append(out, line("checkout", fmt.Sprintf("cart %d emptied", i)))
		}
		return out
	}
	ingestLines(t, a.URL(), "/api/v1/ingest", "application/x-ndjson", strings.Join(quiet(), "\n"))
	flush(t, a)
	from, to := t0.Add(-time.Minute).Format(time.RFC3339), t0.Add(time.Hour).Format(time.RFC3339)
	ids := func() map[string]string {
		out := map[string]string{}
		for _, svc := range []string{"checkout", "search"} {
			for _, e := range search(t, a.URL(), "service:"+svc, from, to, 1000).Events {
				out[svc+"|"+patternShape(e.Message)] = e.Attributes["pattern_id"]
			}
		}
		return out
	}
	before := ids()
	if len(before) != 3 {
		t.Fatalf("quiet patterns %v", before)
	}
	// 12,000 unique messages in one service: letters only, so no masking
	// helps, and each starts a group of its own.
	for batch := range 12 {
		var flood []string
		for i := range 1000 {
			k := batch*1000 + i
			flood = append(flood, line("noisy", letters(k)+" "+letters(k*7+3)+" happened"))
		}
		ingestLines(t, a.URL(), "/api/v1/ingest", "application/x-ndjson", strings.Join(flood, "\n"))
	}
	ingestLines(t, a.URL(), "/api/v1/ingest", "application/x-ndjson", strings.Join(quiet(), "\n"))
	flush(t, a)
	after := ids()
	for k, id := range before {
		if after[k] != id {
			t.Errorf("%s: pattern %s became %s after the flood", k, id, after[k])
		}
	}
	var p struct {
		Patterns []struct {
			ID       string `json:"id"`
			Template string `json:"template"`
			Count    int64  `json:"count"`
		} `json:"patterns"`
	}
	getJSON(t, a.URL(), "/api/v1/patterns", url.Values{"q": {"service:checkout OR service:search"}, "from": {from}, "to": {to}}, &p)
	templates := map[string]bool{}
	for _, pt := range p.Patterns {
		templates[pt.Template] = true
		if pt.Count != 60 {
			t.Errorf("pattern %s %q counts %d, want 60", pt.ID, pt.Template, pt.Count)
		}
	}
	for _, want := range []string{"order <*> paid in <*>", "query for <*> returned <*> hits", "cart <*> emptied"} {
		if !templates[want] {
			t.Errorf("template %q missing after the flood: %v", want, templates)
		}
	}
}

// patternShape is a quiet message's first word: its kind.
func patternShape(msg string) string {
	return strings.Fields(msg)[0]
}

// letters spells n in letters only.
func letters(n int) string {
	b := []byte{}
	for {
		b = append(b, byte('a'+n%26))
		n /= 26
		if n == 0 {
			return string(b)
		}
	}
}
