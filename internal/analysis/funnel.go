package analysis

import (
	"context"
	"fmt"
	"net/url"
	"time"

	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// FunnelRequest is POST /api/v1/funnels as sent.
type FunnelRequest struct {
	Steps     []StepSpec `json:"steps"`
	Window    string     `json:"window"` // default 1h
	From      string     `json:"from"`   // default now-7d
	To        string     `json:"to"`
	Breakdown string     `json:"breakdown"`
	SlowMS    float64    `json:"slow_ms"` // default 1000
}

// Query validates r and builds the query object.
func (r FunnelRequest) Query(project int64, now time.Time) (Funnel, error) {
	if len(r.Steps) < 2 {
		return Funnel{}, badf("a funnel needs at least 2 steps, got %d", len(r.Steps))
	}
	if len(r.Steps) > 20 {
		return Funnel{}, badf("a funnel has at most 20 steps, got %d", len(r.Steps))
	}
	rng, err := parseRange(r.From, r.To, now, 7*24*time.Hour)
	if err != nil {
		return Funnel{}, err
	}
	win, err := parseDuration("window", r.Window, int64(time.Hour/time.Microsecond))
	if err != nil {
		return Funnel{}, err
	}
	f := Funnel{ProjectID: project, Range: rng, Window: win, Breakdown: r.Breakdown, SlowMS: r.SlowMS, Specs: r.Steps}
	for i, s := range r.Steps {
		st, err := s.step(fmt.Sprintf("step %d", i+1))
		if err != nil {
			return Funnel{}, err
		}
		f.Steps = append(f.Steps, st)
	}
	return f, nil
}

// Funnel is a query object: persons through ordered steps within a
// window, with rates, times and what the persons who dropped hit.
type Funnel struct {
	ProjectID int64
	Range     store.Range
	Steps     []store.Step
	Specs     []StepSpec // as asked, for names and the cache key
	Window    int64
	Breakdown string
	SlowMS    float64
}

// Key identifies the query, for caching results.
func (f Funnel) Key() string {
	k := fmt.Sprintf("funnel:%d:%d:%d:%d:%q:%v", f.ProjectID, f.Range.From, f.Range.To, f.Window, f.Breakdown, f.SlowMS)
	for _, s := range f.Specs {
		k += ":" + s.key()
	}
	return k
}

// Scope is what the funnel reads: its range, and after it the window in
// which the persons who dropped may hit a cause.
func (f Funnel) Scope() sqlq.Scope {
	return sqlq.Scope{ProjectID: f.ProjectID, From: f.Range.From, To: f.Range.To + f.Window}
}

// FunnelResult is the answer of POST /api/v1/funnels. Rates are fractions
// of the persons at the first step.
type FunnelResult struct {
	Steps         []FunnelStep    `json:"steps"`
	Breakdown     []FunnelSegment `json:"breakdown"`
	WindowSeconds float64         `json:"window_seconds"`
	Range         timeRange       `json:"range"`
}

// FunnelStep is one step of a funnel. DroppedAfter are the persons who
// reached it but not the next step; DropoffErrors what they hit after it
// (errors and slow requests, most common first), SampleJourneys a few of
// their user journeys.
type FunnelStep struct {
	Name                   string         `json:"name"`
	Where                  string         `json:"where,omitempty"`
	Persons                int64          `json:"persons"`
	ConversionRate         float64        `json:"conversion_rate"`
	DropoffRate            float64        `json:"dropoff_rate"`
	DroppedAfter           int64          `json:"dropped_after"`
	MedianSecondsToConvert float64        `json:"median_seconds_to_convert"`
	DropoffErrors          []DropoffCause `json:"dropoff_errors"`
	SamplePersons          []string       `json:"sample_persons"`
	SampleJourneys         []string       `json:"sample_journeys"`
}

// DropoffCause is an error, slow request or replay detection common among
// dropped persons.
type DropoffCause struct {
	Kind     string  `json:"kind"` // error, slow, rage_click, dead_click or error_after_click
	Label    string  `json:"label"`
	Service  string  `json:"service,omitempty"`
	Persons  int64   `json:"persons"`
	Events   int64   `json:"events"`
	MedianMS float64 `json:"median_ms,omitempty"`
}

// FunnelSegment is the funnel of one breakdown value.
type FunnelSegment struct {
	Value string       `json:"value"`
	Steps []FunnelStep `json:"steps"`
}

// Resolve runs the funnel on a.
func (f Funnel) Resolve(ctx context.Context, a store.Analytics) (FunnelResult, error) {
	res, err := product.Funnel(store.FunnelRequest{
		ProjectID: f.ProjectID, Range: f.Range, Steps: f.Steps, Window: f.Window, Breakdown: f.Breakdown, SlowMS: f.SlowMS,
	}).Run(ctx, a)
	if err != nil {
		return FunnelResult{}, fmt.Errorf("cannot compute funnel: %w", err)
	}
	out := FunnelResult{Steps: f.steps(res.FunnelCounts), Breakdown: []FunnelSegment{}, WindowSeconds: seconds(f.Window), Range: echoRange(f.Range)}
	for _, d := range res.Dropoffs {
		if d.Step < 0 || d.Step >= len(out.Steps) {
			continue
		}
		st := &out.Steps[d.Step]
		for _, c := range d.Causes {
			st.DropoffErrors = append(st.DropoffErrors, DropoffCause(c))
		}
		for _, p := range d.Samples {
			st.SamplePersons = append(st.SamplePersons, p)
			st.SampleJourneys = append(st.SampleJourneys, "/api/v1/journeys/user/"+url.PathEscape(p))
		}
	}
	for _, b := range res.Breakdown {
		out.Breakdown = append(out.Breakdown, FunnelSegment{Value: b.Value, Steps: f.steps(b.FunnelCounts)})
	}
	return out, nil
}

func (f Funnel) steps(c store.FunnelCounts) []FunnelStep {
	out := make([]FunnelStep, len(f.Steps))
	var first int64
	if len(c.Persons) > 0 {
		first = c.Persons[0]
	}
	for i := range out {
		st := FunnelStep{Name: f.Steps[i].Name, DropoffErrors: []DropoffCause{}, SamplePersons: []string{}, SampleJourneys: []string{}}
		if i < len(f.Specs) {
			st.Where = f.Specs[i].Where
		}
		if i < len(c.Persons) {
			st.Persons = c.Persons[i]
			if i+1 < len(c.Persons) {
				st.DroppedAfter = c.Persons[i] - c.Persons[i+1]
			}
		}
		if i < len(c.MedianToConvert) {
			st.MedianSecondsToConvert = seconds(c.MedianToConvert[i])
		}
		st.ConversionRate = fraction(st.Persons, first)
		st.DropoffRate = fraction(st.DroppedAfter, first)
		out[i] = st
	}
	return out
}
