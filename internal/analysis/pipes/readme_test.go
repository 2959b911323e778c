package pipes_test

import (
	"testing"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/sqlq"
)

// TestREADMEExamples runs the README's pipelines (the seed's questions,
// and each spelling the reference names) on the test's DuckDB.
func TestREADMEExamples(t *testing.T) {
	for _, q := range []string{
		`name:payment_gateway_retry status:429 | stats count() by bin(1h)`,
		`status:429 | stats p95(duration_ms) as p95, count() as n by endpoint | sort p95 desc`,
		`service:payment-service level:error | top 10 user`,
		`name:payment_failed | stats count() as failed by user | sort failed desc | limit 10`,
		`"card declined" | stats uniq(session_id) as sessions, uniq(user_id) as users`,
		`level:error | timechart span=5m count() by service`,
		`| extract "took <ms>ms" | eval secs = ms / 1000 | where secs > 2 | fields ts, service, endpoint, secs | sort secs desc | limit 20`,
		`| timechart count()`,
		`| head 3`,
		`| sort -duration_ms`,
		`| stats median(duration_ms), p75(duration_ms)`,
		`| extract "u=<u>" from endpoint | where duration_ms % 2 = 1 and not (status != 200)`,
		"| fields `it's odd`",
		`| where status == 429 or status <> 200 | eval r = round(duration_ms, 1)`,
	} {
		p, err := pipes.Parse(q)
		if err == nil {
			_, err = pipes.Compile(p, sqlq.DuckDB{}, 1, t0, t0+3600*sec*6)
		}
		if err == nil {
			run(t, openStore(t), q)
		}
		if err != nil {
			t.Errorf("%q: %v", q, err)
		}
	}
}
