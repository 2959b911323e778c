package product

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// fakeAnalytics answers with fixed results and records the requests.
type fakeAnalytics struct {
	funnel store.FunnelWalk
	hits   [][]any                 // rows of product.funnel.hits
	trends map[int64][]TrendCounts // by range start
	got    []any
}

// IndexedFunnel answers as a person index would (store.FunnelIndex).
func (f *fakeAnalytics) IndexedFunnel(r store.FunnelRequest) (store.FunnelWalk, bool) {
	f.got = append(f.got, r)
	return f.funnel, true
}

// IndexedRetention answers as a person index would (store.RetentionIndex).
func (f *fakeAnalytics) IndexedRetention(r store.RetentionRequest) (store.RetentionResult, bool) {
	f.got = append(f.got, r)
	return store.RetentionResult{Cohorts: []store.Cohort{{Start: 0, Size: 4, Returned: []int64{4, 1}}}}, true
}

func (f *fakeAnalytics) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }

// Run answers product.trends with the rows of the series kept for the
// query's range start (one per breakdown value and interval), as the
// store would.
func (f *fakeAnalytics) Run(_ context.Context, q sqlq.Query, row func(sqlq.Scanner) error) error {
	if q.Name == "product.funnel.hits" {
		for _, vals := range f.hits {
			if err := row(values(vals)); err != nil {
				return err
			}
		}
		return nil
	}
	f.got = append(f.got, q.Scope)
	if q.Name != "product.trends" {
		return errors.New("fake: no rows for " + q.Name)
	}
	for _, s := range f.trends[q.Scope.From] {
		for i, p := range s.Points {
			if err := row(values([]any{s.Breakdown, int64(i), p.Count, p.Persons, p.Sum, p.Avg, p.P95})); err != nil {
				return err
			}
		}
	}
	return nil
}

// values scans one row of vals (a missing value scans as NULL).
func values(vals []any) scanFunc {
	return func(dest ...any) error {
		for j, d := range dest {
			switch d := d.(type) {
			case *sql.NullString:
				*d = sql.NullString{String: vals[j].(string), Valid: true}
			case *sql.NullFloat64:
				*d = sql.NullFloat64{}
			case *string:
				*d = vals[j].(string)
			case *int64:
				*d = vals[j].(int64)
			case *float64:
				*d = vals[j].(float64)
			default:
				return fmt.Errorf("fake: cannot scan into %T", d)
			}
		}
		return nil
	}
}

type scanFunc func(dest ...any) error

func (f scanFunc) Scan(dest ...any) error { return f(dest...) }

var now = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

func TestFunnelRates(t *testing.T) {
	fa := &fakeAnalytics{funnel: store.FunnelWalk{
		FunnelCounts: store.FunnelCounts{Persons: []int64{200, 120, 30}, MedianToConvert: []int64{0, 90e6, 1800e6}},
		Dropped:      []store.FunnelDrop{{Person: "u/1", Depth: 2, First: 0, Last: 10}},
	}, hits: [][]any{{int64(20), "u/1", "error", "RateLimited", "payment"}, {int64(20), "u/2", "error", "RateLimited", "payment"}}}
	q, err := FunnelRequest{Steps: []StepSpec{{Event: "View", Where: "plan:pro"}, {Event: "Checkout"}, {Event: "Order"}}, Window: "2h", From: "now-1d"}.Query(7, now)
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.Resolve(context.Background(), fa)
	if err != nil {
		t.Fatal(err)
	}
	req := fa.got[0].(store.FunnelRequest)
	if req.ProjectID != 7 || req.Window != 2*3600e6 || req.Range.To != now.UnixMicro() || req.Steps[0].Where == nil || req.Steps[1].Where != nil {
		t.Errorf("store request = %+v", req)
	}
	type row struct {
		persons      int64
		conv, drop   float64
		dropped      int64
		median       float64
		errs, sample int
	}
	var got []row
	for _, s := range res.Steps {
		got = append(got, row{s.Persons, s.ConversionRate, s.DropoffRate, s.DroppedAfter, s.MedianSecondsToConvert, len(s.DropoffErrors), len(s.SampleJourneys)})
	}
	want := []row{{200, 1, 0.4, 80, 0, 0, 0}, {120, 0.6, 0.45, 90, 90, 1, 1}, {30, 0.15, 0, 0, 1800, 0, 0}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("steps = %+v, want %+v", got, want)
	}
	if res.Steps[1].SampleJourneys[0] != "/api/v1/journeys/user/u%2F1" {
		t.Errorf("sample journey = %q", res.Steps[1].SampleJourneys[0])
	}
}

func TestBadRequests(t *testing.T) {
	f := func(name string, err error) {
		t.Helper()
		if !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: err = %v, want ErrBadRequest", name, err)
		}
	}
	_, err := FunnelRequest{Steps: []StepSpec{{Event: "a"}}}.Query(1, now)
	f("one step", err)
	_, err = FunnelRequest{Steps: []StepSpec{{Event: "a"}, {Event: ""}}}.Query(1, now)
	f("unnamed step", err)
	_, err = FunnelRequest{Steps: []StepSpec{{Event: "a", Where: "(("}, {Event: "b"}}}.Query(1, now)
	f("bad where", err)
	_, err = FunnelRequest{Steps: []StepSpec{{Event: "a"}, {Event: "b"}}, Window: "soon"}.Query(1, now)
	f("bad window", err)
	_, err = FunnelRequest{Steps: []StepSpec{{Event: "a"}, {Event: "b"}}, From: "now", To: "now-1h"}.Query(1, now)
	f("empty range", err)
	_, err = RetentionRequest{StartEvent: "a", Period: "month"}.Query(1, now)
	f("month period", err)
	_, err = PathsRequest{StartEvent: "a", EndEvent: "b"}.Query(1, now)
	f("start and end", err)
	_, err = TrendsRequest{Event: "a", Measure: "p95"}.Query(1, now)
	f("p95 without property", err)
	_, err = TrendsRequest{Event: "a", Measure: "median"}.Query(1, now)
	f("unknown measure", err)
}

func TestRetentionDefaults(t *testing.T) {
	fa := &fakeAnalytics{}
	q, err := RetentionRequest{StartEvent: "Signed Up", Period: "week"}.Query(1, now)
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.Resolve(context.Background(), fa)
	if err != nil {
		t.Fatal(err)
	}
	req := fa.got[0].(store.RetentionRequest)
	if req.Return.Name != "Signed Up" || req.Periods != 8 || req.Period != 7*86400e6 || req.Range.From != now.Add(-56*24*time.Hour).UnixMicro() {
		t.Errorf("store request = %+v", req)
	}
	if res.Period != "week" || !reflect.DeepEqual(res.Cohorts[0].Rates, []float64{1, 0.25}) {
		t.Errorf("result = %+v", res)
	}
}

func TestTrendsCompare(t *testing.T) {
	from := now.Add(-2 * time.Hour).UnixMicro()
	pts := func(start int64, vs ...float64) []TrendPoint {
		out := make([]TrendPoint, len(vs))
		for i, v := range vs {
			out[i] = TrendPoint{Start: start + int64(i)*3600e6, Count: int64(v), Sum: v * 10}
		}
		return out
	}
	fa := &fakeAnalytics{trends: map[int64][]TrendCounts{
		from:          {{Points: pts(from, 3, 5)}},
		from - 7200e6: {{Points: pts(from-7200e6, 2, 2)}},
	}}
	q, err := TrendsRequest{Event: "Order", Measure: "sum", Property: "amount", Interval: "1h", From: "now-2h", Compare: true}.Query(1, now)
	if err != nil {
		t.Fatal(err)
	}
	res, err := q.Resolve(context.Background(), fa)
	if err != nil {
		t.Fatal(err)
	}
	s := res.Series[0]
	if s.Total != 80 || s.Change == nil || *s.Change != 1 || res.Previous[0].Total != 40 {
		t.Errorf("series = %+v, previous = %+v", s, res.Previous)
	}
	if res.Previous[0].Points[0].Start != res.Series[0].Points[0].Start {
		t.Errorf("previous points not shifted onto the current period: %v vs %v", res.Previous[0].Points[0].Start, res.Series[0].Points[0].Start)
	}
}
