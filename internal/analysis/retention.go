package analysis

import (
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/analysis/product"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// RetentionRequest is POST /api/v1/retention as sent.
type RetentionRequest struct {
	StartEvent  string `json:"start_event"`
	StartWhere  string `json:"start_where,omitempty"`
	ReturnEvent string `json:"return_event"` // default: the start event
	ReturnWhere string `json:"return_where,omitempty"`
	Period      string `json:"period"`  // day (default) or week
	Periods     int    `json:"periods"` // default 8
	From        string `json:"from"`    // default: periods before now
	To          string `json:"to"`
	Breakdown   string `json:"breakdown"`
}

// Query validates r and builds the query object.
func (r RetentionRequest) Query(project int64, now time.Time) (Retention, error) {
	var period int64
	switch r.Period {
	case "", "day":
		period = int64(24 * time.Hour / time.Microsecond)
	case "week":
		period = int64(7 * 24 * time.Hour / time.Microsecond)
	default:
		return Retention{}, badf("period %q: want day or week", r.Period)
	}
	if r.Periods == 0 {
		r.Periods = 8
	}
	if r.Periods < 1 || r.Periods > 400 {
		return Retention{}, badf("periods %d: want 1 to 400", r.Periods)
	}
	rng, err := parseRange(r.From, r.To, now, time.Duration(period*int64(r.Periods))*time.Microsecond)
	if err != nil {
		return Retention{}, err
	}
	start, err := StepSpec{r.StartEvent, r.StartWhere}.step("start_event")
	if err != nil {
		return Retention{}, err
	}
	if r.ReturnEvent == "" {
		r.ReturnEvent = r.StartEvent
	}
	ret, err := StepSpec{r.ReturnEvent, r.ReturnWhere}.step("return_event")
	if err != nil {
		return Retention{}, err
	}
	return Retention{ProjectID: project, Range: rng, Start: start, Return: ret, Period: period, Periods: r.Periods, Breakdown: r.Breakdown, req: r}, nil
}

// Retention is a query object: cohorts by first start event, returns per
// period.
type Retention struct {
	ProjectID     int64
	Range         store.Range
	Start, Return store.Step
	Period        int64
	Periods       int
	Breakdown     string
	req           RetentionRequest
}

// Key identifies the query, for caching results.
func (r Retention) Key() string {
	return fmt.Sprintf("retention:%d:%d:%d:%+v", r.ProjectID, r.Range.From, r.Range.To, r.req)
}

// Scope is what the retention table reads.
func (r Retention) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: r.ProjectID, From: r.Range.From, To: r.Range.To}
}

// RetentionResult is the answer of POST /api/v1/retention: returned[k] is
// the persons of the cohort who did the return event k periods after the
// cohort's period (0: the same period, at or after their start).
type RetentionResult struct {
	Period  string         `json:"period"`
	Cohorts []CohortResult `json:"cohorts"`
	Range   timeRange      `json:"range"`
}

// CohortResult is one row of the table.
type CohortResult struct {
	Start     string    `json:"start"`
	Breakdown string    `json:"breakdown,omitempty"`
	Size      int64     `json:"size"`
	Returned  []int64   `json:"returned"`
	Rates     []float64 `json:"rates"`
}

// Resolve computes the table on a.
func (r Retention) Resolve(ctx context.Context, a store.Analytics) (RetentionResult, error) {
	res, err := product.Retention{
		ProjectID: r.ProjectID, Range: r.Range, Start: r.Start, Return: r.Return, Period: r.Period, Periods: r.Periods, Breakdown: r.Breakdown,
	}.Run(ctx, a)
	if err != nil {
		return RetentionResult{}, fmt.Errorf("cannot compute retention: %w", err)
	}
	period := "day"
	if r.Period == int64(7*24*time.Hour/time.Microsecond) {
		period = "week"
	}
	out := RetentionResult{Period: period, Cohorts: make([]CohortResult, 0, len(res.Cohorts)), Range: echoRange(r.Range)}
	for _, c := range res.Cohorts {
		cr := CohortResult{Start: event.FormatMicros(c.Start), Breakdown: c.Breakdown, Size: c.Size, Returned: c.Returned, Rates: make([]float64, len(c.Returned))}
		for i, n := range c.Returned {
			cr.Rates[i] = fraction(n, c.Size)
		}
		out.Cohorts = append(out.Cohorts, cr)
	}
	return out, nil
}
