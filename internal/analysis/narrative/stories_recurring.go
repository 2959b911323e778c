package narrative

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

const hourUS = int64(time.Hour / time.Microsecond)

// detectRecurringSpikes finds hour-of-week (or hour-of-day) seasonality:
// the hours in which a service's p95 latency or error rate left its
// baseline (median and MAD of all its hours in the range, as in
// timeline.go), grouped by weekday and hour. A slot that spiked in at
// least 2 different weeks, and in at least two thirds of the weeks the
// range covers, recurs weekly; an hour of the day that spiked on at least
// 3 days and two thirds of the days recurs daily. The range must span two
// weeks (three days for daily spikes); shorter ranges find nothing.
func detectRecurringSpikes(ctx context.Context, st store.Narrative, project int64, r store.Range) ([]Card, error) {
	days := int((r.To - r.From) / (24 * hourUS))
	if days < 3 {
		return nil, nil
	}
	from := r.From - r.From%hourUS
	pts, err := serviceSeries(ctx, st, store.ServiceSeriesRequest{ProjectID: project, Range: store.Range{From: from, To: r.To}, Step: hourUS})
	if err != nil {
		return nil, err
	}
	bySvc := map[string][]store.ServicePoint{}
	for _, p := range pts {
		bySvc[p.Service] = append(bySvc[p.Service], p)
	}
	var svcs []string
	for s := range bySvc {
		svcs = append(svcs, s)
	}
	sort.Strings(svcs)
	var cards []Card
	for _, svc := range svcs {
		ps := bySvc[svc]
		for _, sig := range []string{"p95_ms", "error_rate"} {
			var vals []float64
			for _, p := range ps {
				if v, ok := signalValue(p, sig); ok {
					vals = append(vals, v)
				}
			}
			if len(vals) < 48 {
				continue
			}
			bl := robustBaseline(sig, vals)
			weekly := map[[2]int][]store.ServicePoint{} // (weekday, hour) → spiking hours
			daily := map[int][]store.ServicePoint{}
			for _, p := range ps {
				if v, ok := signalValue(p, sig); ok && v > bl.Warn {
					t := time.UnixMicro(p.Start).UTC()
					weekly[[2]int{int(t.Weekday()), t.Hour()}] = append(weekly[[2]int{int(t.Weekday()), t.Hour()}], p)
					daily[t.Hour()] = append(daily[t.Hour()], p)
				}
			}
			weeks := max(days/7, 1)
			for slot, hits := range weekly {
				if days < 14 || len(hits) < 2 || 3*len(hits) < 2*weeks {
					continue
				}
				// Daily recurrence is the stronger claim; report it instead.
				if d := daily[slot[1]]; len(d) >= 3 && 3*len(d) >= 2*days {
					continue
				}
				when := fmt.Sprintf("every %s around %02d:00 UTC", time.Weekday(slot[0]), slot[1])
				cards = append(cards, recurringCard(svc, sig, when, hits, bl, weeks, "weeks"))
			}
			for hour, hits := range daily {
				if len(hits) < 3 || 3*len(hits) < 2*days {
					continue
				}
				cards = append(cards, recurringCard(svc, sig, fmt.Sprintf("every day around %02d:00 UTC", hour), hits, bl, days, "days"))
			}
		}
	}
	sort.Slice(cards, func(i, j int) bool { return cards[i].Title < cards[j].Title })
	return cards, nil
}

func recurringCard(svc, sig, when string, hits []store.ServicePoint, bl Baseline, of int, unit string) Card {
	var peak float64
	for _, p := range hits {
		v, _ := signalValue(p, sig)
		peak = max(peak, v)
	}
	what, value, usual := "latency", humanMS(peak), humanMS(bl.Median)
	if sig == "error_rate" {
		what, value, usual = "error rate", percent(peak), percent(bl.Median)
	}
	first, last := hits[0].Start, hits[len(hits)-1].Start
	return Card{
		Type: CardRecurringSpike, Severity: SeverityInfo,
		Title: fmt.Sprintf("%s %s rises %s", svc, what, when),
		From:  event.FormatMicros(first), To: event.FormatMicros(last + hourUS), fromTS: first,
		Facts: map[string]any{"service": svc, "signal": sig, "when": when, unit + "_with_spike": len(hits), unit + "_observed": of,
			"peak": round3(peak), "baseline": bl.Median},
		Impact: map[string]any{"hours_affected": len(hits)},
		Evidence: Evidence{Queries: map[string]string{
			"signal": fmt.Sprintf("service:%q kind:span", svc),
		}},
		Narrative: []string{fmt.Sprintf("%s %s rises %s: %d of the last %d %s, up to %s (usually %s).",
			svc, what, when, len(hits), of, unit, value, usual)},
		Recommendation: "Look for what runs on that schedule (batch jobs, backups, cron, traffic peaks) and move it or give it capacity.",
	}
}
