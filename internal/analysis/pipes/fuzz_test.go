package pipes

import (
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/sqlq"
)

// FuzzPipeline: no text panics the parser or the compiler, and whatever
// compiles has as many arguments as placeholders in both engines, with
// no user text in the SQL (values are bound).
func FuzzPipeline(f *testing.F) {
	for _, s := range []string{
		`level:error service:payment-service | stats count() as n, p95(duration_ms), uniq(user_id) by endpoint | sort n desc | limit 10`,
		`| timechart span=5m count() by service`,
		`status:429 | top 3 user | where count > 2`,
		`| extract "user=<who> took <ms>ms" | eval secs = ms / 1000 | where secs >= 0.4 and who != "u3" | stats max(secs) by who`,
		"| dedup user | fields user, status, `it's \"odd\"` | sort -user",
		`| where message = "Zq9xSECRET" or match(message, "Zq9xSECRET.*") | extract "a=<a> Zq9xSECRET"`,
		`| eval x = if(contains(message, "pay"), round(duration_ms, 2), -1) | stats avg(x), rate() by bin(1m)`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		p, err := Parse(text)
		if err != nil {
			return
		}
		for _, d := range []sqlq.Dialect{sqlq.DuckDB{}, sqlq.ClickHouse{}} {
			c, err := Compile(p, d, 1, 1_000_000, 2_000_000_000)
			if err != nil {
				if strings.Contains(err.Error(), "placeholders but") {
					t.Fatalf("%s: %q: %v", d.Name(), text, err)
				}
				continue
			}
			if len(c.Columns) == 0 {
				t.Fatalf("%s: %q compiled to no columns", d.Name(), text)
			}
			if strings.Contains(c.Query.SQL, "Zq9xSECRET") {
				t.Fatalf("%s: user text in the SQL: %s", d.Name(), c.Query.SQL)
			}
		}
	})
}
