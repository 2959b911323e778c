package narrative

import (
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/analysis/flows"
	"sort"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// dropoffWindow is how long after a step a session may take the next one.
const dropoffWindow = int64(time.Hour / time.Microsecond)

// detectFunnelDropoffs links drop-offs to errors without knowing the
// funnel: for every named product event A, its usual next step B is the
// event most sessions do next; the sessions that did A are split into
// those that hit an error after A (before B, within an hour) and those
// that did not, and when the former stop before B far more often — at
// least 10 of them, twice the drop rate and 20 points more — the errors
// are costing conversions. Severity follows the sessions lost to the
// difference: warning from 10, critical from 50.
func detectFunnelDropoffs(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	sessions, err := flows.Sessions{ProjectID: project, Range: r, Limit: 50000}.Run(ctx, st)
	if err != nil {
		return nil, err
	}
	next := map[string]map[string]int{}
	for _, f := range sessions {
		steps := f.Steps
		for i := 0; i+1 < len(steps); i++ {
			if steps[i+1] == steps[i] {
				continue
			}
			if next[steps[i]] == nil {
				next[steps[i]] = map[string]int{}
			}
			next[steps[i]][steps[i+1]]++
		}
	}
	var cards []Card
	var names []string
	for a := range next {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		b := topIntKey(next[a])
		var nErr, nOK, contErr, contOK int
		var first, last int64
		for _, f := range sessions {
			at := -1
			for i, s := range f.Steps {
				if s == a {
					at = i
					break
				}
			}
			if at < 0 {
				continue
			}
			aTS := f.StepTS[at]
			bTS := int64(0)
			for i := at + 1; i < len(f.Steps); i++ {
				if f.Steps[i] == b && f.StepTS[i]-aTS <= dropoffWindow {
					bTS = f.StepTS[i]
					break
				}
			}
			limit := aTS + dropoffWindow
			if bTS > 0 {
				limit = bTS
			}
			hit := false
			for _, e := range f.ErrorTS {
				if e >= aTS && e <= limit {
					hit = true
					break
				}
			}
			if hit {
				nErr++
				if bTS > 0 {
					contErr++
				}
				if first == 0 || aTS < first {
					first = aTS
				}
				last = max(last, aTS)
			} else {
				nOK++
				if bTS > 0 {
					contOK++
				}
			}
		}
		if nErr < 10 || nOK < 10 {
			continue
		}
		dropErr := 1 - float64(contErr)/float64(nErr)
		dropOK := 1 - float64(contOK)/float64(nOK)
		if dropErr < 2*dropOK || dropErr-dropOK < 0.2 {
			continue
		}
		lost := int(float64(nErr) * (dropErr - dropOK))
		c := Card{
			Type: CardFunnelDropoff, Severity: SeverityInfo,
			Title: fmt.Sprintf("Errors after %q cost sessions before %q", a, b),
			From:  event.FormatMicros(first), To: event.FormatMicros(last), fromTS: first,
			Facts: map[string]any{"step": a, "next_step": b, "sessions_with_error": nErr, "sessions_without_error": nOK,
				"dropoff_with_error": round3(dropErr), "dropoff_without_error": round3(dropOK), "sessions_lost": lost},
			Impact: map[string]any{"sessions_lost": lost},
			Evidence: Evidence{Queries: map[string]string{
				"step": fmt.Sprintf("kind:event name:%q", a), "next_step": fmt.Sprintf("kind:event name:%q", b),
			}},
			Narrative: []string{
				fmt.Sprintf("%d sessions hit an error after %q; %s of them never reached %q, against %s of the %d sessions without an error.",
					nErr, a, percent(dropErr), b, percent(dropOK), nOK),
				fmt.Sprintf("About %d sessions were lost to those errors.", lost),
			},
			Recommendation: fmt.Sprintf("Fix the errors users meet between %q and %q first: they are where this funnel leaks.", a, b),
		}
		switch {
		case lost >= 50:
			c.Severity = SeverityCritical
		case lost >= 10:
			c.Severity = SeverityWarning
		}
		cards = append(cards, c)
	}
	return cards, nil
}

func topIntKey(m map[string]int) string {
	best, bc := "", -1
	for k, v := range m {
		if v > bc || v == bc && k < best {
			best, bc = k, v
		}
	}
	return best
}
