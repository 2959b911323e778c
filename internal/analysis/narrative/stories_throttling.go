package narrative

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/analysis/calls"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// throttleFollow is how long after the window a throttled transaction is
// followed for its retries and outcome: longer than common backoff
// schedules (1, 5 and 15 minutes sum to 21).
const throttleFollow = int64(time.Hour / time.Microsecond)

// minThrottled is the fewest 429s from one dependency that make a card;
// fewer are noise and make at most an info card.
const minThrottled = 5

// detectThrottling tells, per dependency answering 429 Too Many Requests,
// how many calls were throttled, how often the transactions retried, how
// many eventually succeeded and how many users gave up.
//
// A transaction is a trace with at least one 429 from the dependency. Its
// retries are its highest retry_attempt. It succeeded when a later call
// to the same dependency was answered 2xx/3xx, failed when instead an
// error was logged after its last 429, and is unresolved otherwise. A
// resolved transaction was abandoned when no product event or page view
// of its trace followed its resolution (the user did not see it through).
func detectThrottling(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	txns, err := calls.Throttled{ProjectID: project, Range: r, Follow: throttleFollow}.Run(ctx, st)
	if err != nil {
		return nil, err
	}
	byDep := map[string][]calls.Txn{}
	var deps []string
	for _, t := range txns {
		if _, ok := byDep[t.Dependency]; !ok {
			deps = append(deps, t.Dependency)
		}
		byDep[t.Dependency] = append(byDep[t.Dependency], t)
	}
	sort.Strings(deps)
	var cards []Card
	for _, dep := range deps {
		cards = append(cards, throttlingCard(dep, byDep[dep]))
	}
	return cards, nil
}

func throttlingCard(dep string, txns []calls.Txn) Card {
	var (
		count, retries                        int64
		n, ok, failed, resolved, abandoned    int
		first, last                           int64
		callers                               = map[string]int64{}
		traces, failedTraces, abandonedTraces []string
		rageTraces, replays                   []string
		rageSessions                          = map[string]bool{}
		rageTexts                             = map[string]int64{}
	)
	for _, t := range txns {
		count += t.Throttled
		callers[t.Caller] += t.Throttled
		if first == 0 || t.FirstTS < first {
			first = t.FirstTS
		}
		last = max(last, t.LastTS)
		if t.TraceID == "" {
			continue
		}
		n++
		retries += t.MaxRetry
		traces = append(traces, t.TraceID)
		if t.RageClicks > 0 {
			rageTraces = append(rageTraces, t.TraceID)
			if t.RageText != "" {
				rageTexts[t.RageText]++
			}
			if t.RageSession != "" && !rageSessions[t.RageSession] {
				rageSessions[t.RageSession] = true
				replays = append(replays, "/api/v1/journeys/session/"+url.PathEscape(t.RageSession)+"?at="+url.QueryEscape(event.FormatMicros(t.FirstTS)))
			}
		}
		var resolvedAt int64
		switch {
		case t.OKAt > 0:
			ok++
			resolvedAt = t.OKAt
		case t.FailedAt > 0:
			failed++
			resolvedAt = t.FailedAt
			failedTraces = append(failedTraces, t.TraceID)
		}
		if resolvedAt > 0 {
			resolved++
			if t.LastUserTS <= resolvedAt {
				abandoned++
				abandonedTraces = append(abandonedTraces, t.TraceID)
			}
		}
	}
	caller := topKey(callers)
	var avgRetries, success, abandonRate float64
	if n > 0 {
		avgRetries = float64(retries) / float64(n)
		success = float64(ok) / float64(n)
	}
	if resolved > 0 {
		abandonRate = float64(abandoned) / float64(resolved)
	}
	c := Card{
		Type:     CardThrottling,
		Title:    fmt.Sprintf("%s is rate limiting %s", dep, caller),
		Severity: SeverityInfo,
		From:     event.FormatMicros(first), To: event.FormatMicros(last), fromTS: first,
		Facts: map[string]any{
			// Every count names its unit: calls (HTTP requests to the
			// dependency) or transactions (traces, one user action each).
			"dependency": dep, "caller": caller, "rate_limited_calls": count, "transactions": n,
			"avg_retries_per_transaction": round3(avgRetries), "eventual_success_rate": round3(success),
			"failed_transactions": failed, "pending_transactions": n - ok - failed,
			"abandoned_transactions": abandoned, "abandonment_rate": round3(abandonRate),
			"rage_clicked_transactions": len(rageTraces), "rage_clicked_sessions": len(rageSessions),
		},
		Impact: map[string]any{"rate_limited_calls": count, "transactions": n, "failed_transactions": failed, "abandoned_transactions": abandoned},
		Evidence: Evidence{Queries: map[string]string{
			"rate_limited_calls":          fmt.Sprintf("http_status:429 peer.service:%q", dep),
			"avg_retries_per_transaction": fmt.Sprintf("retry_attempt:>=1 service:%q", caller),
		}},
	}
	if dep == caller { // read from logs: the dependency is the logging service
		c.Evidence.Queries["rate_limited_calls"] = fmt.Sprintf("http_status:429 service:%q", dep)
	}
	switch {
	case count >= minThrottled && (failed+abandoned >= 10 || success < 0.8 && n >= 20):
		c.Severity = SeverityCritical
	case count >= minThrottled:
		c.Severity = SeverityWarning
	}
	sample := append(append(append(append([]string{}, rageTraces...), abandonedTraces...), failedTraces...), traces...)
	c.Evidence.TraceIDs, c.Evidence.Journeys = sampleEvidence(sample, 5)
	if len(replays) > 5 {
		replays = replays[:5]
	}
	c.Evidence.Replays = replays
	c.Narrative = []string{
		fmt.Sprintf("%d calls from %s to %s were rate limited (HTTP 429) %s, in %d transactions.", count, caller, dep, betweenUTC(first, last), n),
		fmt.Sprintf("Those transactions retried %.1f times on average; %s eventually succeeded, %d failed for good and %d were still pending.", avgRetries, percent(success), failed, n-ok-failed),
	}
	if resolved > 0 {
		c.Narrative = append(c.Narrative, fmt.Sprintf("%s of the resolved transactions (%d of %d) were abandoned: the user did nothing more after the outcome.", percent(abandonRate), abandoned, resolved))
	}
	if len(rageSessions) > 0 {
		// What the user saw: session replays caught them clicking the
		// control that started a throttled transaction again and again.
		what := "the page"
		if t := topKey(rageTexts); t != "" {
			what = strconv.Quote(t)
		}
		c.Evidence.Queries["rage_clicked_transactions"] = `name:"$rageclick"`
		who := fmt.Sprintf("%d sessions", len(rageSessions))
		if len(rageSessions) == 1 {
			who = "1 session"
		}
		c.Narrative = append(c.Narrative, fmt.Sprintf("%s rage-clicked %s in a transaction that %s answered 429 (%d of %d transactions); their replays show what they saw.",
			who, what, dep, len(rageTraces), n))
	}
	c.Recommendation = fmt.Sprintf("Put a circuit breaker and exponential backoff with jitter on calls to %s, queue or smooth bursts so they stay under its limit, and ask the provider for a higher rate limit; tell users their payment is pending instead of leaving them waiting.", dep)
	return c
}

// topKey returns the key with the highest count (ties by name).
func topKey(m map[string]int64) string {
	best, bc := "", int64(-1)
	for k, v := range m {
		if v > bc || v == bc && k < best {
			best, bc = k, v
		}
	}
	return best
}

// dedupe keeps the first occurrence of each string.
func dedupeStrings(xs []string) []string {
	seen := map[string]bool{}
	out := xs[:0:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
