package narrative

import (
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/analysis/calls"
	"sort"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// stormRetries is the retry count above which a call sequence is a retry
// storm: more than 3 retries (the definition, and above the 3
// that common client libraries and backoff schedules allow).
const stormRetries = 4

// detectRetryStorms groups the traces that retried more than 3 times by
// the dependency whose calls failed in them.
func detectRetryStorms(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	seqs, err := calls.Retries{ProjectID: project, Range: r, MinRetries: stormRetries, Limit: 5000}.Run(ctx, st)
	if err != nil {
		return nil, err
	}
	type agg struct {
		dep, caller    string
		n, ok, retries int64
		most           int64
		first, last    int64
		traces         []string
	}
	by := map[string]*agg{}
	for _, s := range seqs {
		dep := s.Dependency
		if dep == "" {
			dep = s.Caller
		}
		a := by[dep]
		if a == nil {
			a = &agg{dep: dep, caller: s.Caller, first: s.FirstTS}
			by[dep] = a
		}
		a.n++
		a.retries += s.Retries
		a.most = max(a.most, s.Retries)
		if s.Succeeded {
			a.ok++
		}
		a.first, a.last = min(a.first, s.FirstTS), max(a.last, s.LastTS)
		a.traces = append(a.traces, s.TraceID)
	}
	var cards []Card
	for _, a := range by {
		avg := float64(a.retries) / float64(a.n)
		c := Card{
			Type: CardRetryStorm, Title: fmt.Sprintf("Retry storm against %s", a.dep),
			Severity: SeverityInfo, From: event.FormatMicros(a.first), To: event.FormatMicros(a.last), fromTS: a.first,
			Facts: map[string]any{"dependency": a.dep, "caller": a.caller, "call_sequences": a.n, "avg_retries_per_sequence": round3(avg),
				"max_retries_per_sequence": a.most, "success_rate": round3(float64(a.ok) / float64(a.n))},
			Impact:   map[string]any{"call_sequences": a.n, "failed_call_sequences": a.n - a.ok},
			Evidence: Evidence{Queries: map[string]string{"call_sequences": fmt.Sprintf("retry_attempt:>=%d", stormRetries)}},
			Narrative: []string{
				fmt.Sprintf("%d call sequences retried more than 3 times against %s %s (%.1f retries on average, %d at most).", a.n, a.dep, betweenUTC(a.first, a.last), avg, a.most),
				fmt.Sprintf("%s of them finally succeeded.", percent(float64(a.ok)/float64(a.n))),
			},
			Recommendation: fmt.Sprintf("Cap retries to %s at 3 with exponential backoff and jitter, and add a circuit breaker so retries stop while it is failing.", a.dep),
		}
		switch {
		case a.n >= 20:
			c.Severity = SeverityCritical
		case a.n >= 3:
			c.Severity = SeverityWarning
		}
		c.Evidence.TraceIDs, c.Evidence.Journeys = sampleEvidence(a.traces, 5)
		cards = append(cards, c)
	}
	sort.Slice(cards, func(i, j int) bool { return cards[i].Title < cards[j].Title })
	return cards, nil
}
