package narrative

import (
	"context"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/calls"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

func TestThrottlingCardFacts(t *testing.T) {
	txns := []calls.Txn{
		// succeeded on retry 2, user went on
		{Dependency: "psp", Caller: "pay", TraceID: "a", Throttled: 2, FirstTS: 100, LastTS: 200, MaxRetry: 2, OKAt: 300, LastUserTS: 400},
		// succeeded on retry 1, user had left (last product event before)
		{Dependency: "psp", Caller: "pay", TraceID: "b", Throttled: 1, FirstTS: 150, LastTS: 150, MaxRetry: 1, OKAt: 250, LastUserTS: 120},
		// gave up after 3 retries
		{Dependency: "psp", Caller: "pay", TraceID: "c", Throttled: 4, FirstTS: 160, LastTS: 900, MaxRetry: 3, FailedAt: 901},
		// still retrying
		{Dependency: "psp", Caller: "pay", TraceID: "d", Throttled: 1, FirstTS: 170, LastTS: 170, MaxRetry: 0},
		// a 429 without a trace: counted, not a transaction
		{Dependency: "psp", Caller: "pay", Throttled: 2, FirstTS: 50, LastTS: 60},
	}
	c := throttlingCard("psp", txns)
	// Both counts are kept, each named by its unit: 10 rate-limited calls
	// in 4 transactions.
	want := map[string]any{
		"dependency": "psp", "caller": "pay", "rate_limited_calls": int64(10), "transactions": 4,
		"avg_retries_per_transaction": 1.5, "eventual_success_rate": 0.5, "failed_transactions": 1, "pending_transactions": 1,
		"abandoned_transactions": 2, "abandonment_rate": 0.667,
		"rage_clicked_transactions": 0, "rage_clicked_sessions": 0,
	}
	for k, w := range want {
		if c.Facts[k] != w {
			t.Errorf("%s = %v (%T), want %v (%T)", k, c.Facts[k], c.Facts[k], w, w)
		}
	}
	for k := range c.Facts {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected fact %s", k)
		}
	}
	if c.From != "1970-01-01T00:00:00.000050Z" || c.Severity != SeverityWarning {
		t.Errorf("from %s severity %s", c.From, c.Severity)
	}
	if len(c.Evidence.TraceIDs) != 4 || c.Evidence.TraceIDs[0] != "b" || c.Evidence.Journeys[0] != "/api/v1/journeys/trace/b" {
		t.Errorf("evidence %+v (abandoned and failed first)", c.Evidence)
	}
	if len(c.Evidence.Replays) != 0 || len(c.Narrative) != 3 {
		t.Errorf("no rage clicks, yet %v %q", c.Evidence.Replays, c.Narrative)
	}

	// Session replays saw people rage-click Pay in two transactions (one
	// session twice): the card says so, links their replays at the moment
	// and shows their traces first.
	txns[2].RageClicks, txns[2].RageText, txns[2].RageSession = 4, "Pay now", "s/1"
	txns[3].RageClicks, txns[3].RageText, txns[3].RageSession = 3, "Pay now", "s2"
	txns = append(txns, calls.Txn{Dependency: "psp", Caller: "pay", TraceID: "e", Throttled: 1, FirstTS: 180, LastTS: 180,
		RageClicks: 5, RageText: "Pay now", RageSession: "s2"})
	c = throttlingCard("psp", txns)
	if c.Facts["rage_clicked_transactions"] != 3 || c.Facts["rage_clicked_sessions"] != 2 {
		t.Errorf("facts %v", c.Facts)
	}
	if got := c.Narrative[len(c.Narrative)-1]; got != `2 sessions rage-clicked "Pay now" in a transaction that psp answered 429 (3 of 5 transactions); their replays show what they saw.` {
		t.Errorf("narrative %q", got)
	}
	if c.Evidence.TraceIDs[0] != "c" || len(c.Evidence.Replays) != 2 ||
		c.Evidence.Replays[0] != "/api/v1/journeys/session/s%2F1?at=1970-01-01T00%3A00%3A00.000160Z" {
		t.Errorf("evidence %+v", c.Evidence)
	}
	if c.Evidence.Queries["rage_clicked_transactions"] != `name:"$rageclick"` {
		t.Errorf("queries %v", c.Evidence.Queries)
	}
}

// fakeNarrative answers the release detectors from fixed data.
type fakeNarrative struct {
	store.Narrative // unimplemented methods panic
	starts          []store.ReleaseStart
	groups          func(r store.Range) []store.ErrorGroup
}

// RolledReleaseStarts answers services.ReleaseStarts as a store's release
// rollup (store.ReleaseRollup) would.
func (f fakeNarrative) RolledReleaseStarts(context.Context, int64, store.Range) ([]store.ReleaseStart, bool, error) {
	return f.starts, true, nil
}

// RolledErrorGroups answers services.ErrorGroups as a store's error
// rollup (store.ErrorGroupsRollup) would.
func (f fakeNarrative) RolledErrorGroups(_ context.Context, _ int64, r store.Range, _ int64, _ int) ([]store.ErrorGroup, bool, error) {
	return f.groups(r), true, nil
}

func TestRegressionAfterDeploy(t *testing.T) {
	const hour = int64(3600e6)
	deploy := 10 * hour
	f := fakeNarrative{
		starts: []store.ReleaseStart{{Service: "orders", Release: "r1", FirstTS: 0}, {Service: "orders", Release: "r2", FirstTS: deploy}},
		groups: func(r store.Range) []store.ErrorGroup {
			if r.From < deploy {
				return []store.ErrorGroup{{Service: "orders", ErrorType: "Timeout", Key: "k", Count: 10}, {Service: "orders", Key: "flat", Count: 50}}
			}
			return []store.ErrorGroup{{Service: "orders", ErrorType: "Timeout", Key: "k", Count: 45}, {Service: "orders", Key: "flat", Count: 60},
				{Service: "orders", Key: "brand-new", Count: 500}}
		},
	}
	cards, err := detectRegressions(context.Background(), f, 1, store.Range{From: 5 * hour, To: 20 * hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 1 || cards[0].Facts["errors_before"] != int64(10) || cards[0].Facts["errors_after"] != int64(45) ||
		cards[0].Facts["release"] != "r2" || cards[0].Severity != SeverityWarning {
		t.Fatalf("cards %+v", cards)
	}
}

// TestNewErrorOncePerServiceAndType: the same new failure grouped twice —
// by the exception's fingerprint and by the pattern of the request log that
// reported it — is one story, told from the group that names the error.
func TestNewErrorOncePerServiceAndType(t *testing.T) {
	const hour = int64(3600e6)
	f := fakeNarrative{
		starts: []store.ReleaseStart{{Service: "catalog", Release: "v2", FirstTS: 10 * hour}},
		groups: func(store.Range) []store.ErrorGroup {
			return []store.ErrorGroup{
				{Service: "catalog", ErrorType: "TypeError", Key: "log-pattern", Message: "GET /api/products/67 500 10.2ms", Count: 106, FirstTS: 10*hour + 60e6, Releases: []string{"v2"}},
				{Service: "catalog", ErrorType: "TypeError", Key: "fingerprint", Message: "TypeError: Cannot read properties of undefined (reading 'price')", Count: 106, FirstTS: 10*hour + 60e6, Releases: []string{"v2"}},
				{Service: "cart", ErrorType: "TypeError", Key: "other-service", Message: "TypeError: x is undefined", Count: 9, FirstTS: 11 * hour},
			}
		},
	}
	cards, err := detectNewErrors(context.Background(), f, 1, store.Range{From: 9 * hour, To: 20 * hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(cards) != 2 {
		t.Fatalf("want one card for catalog's TypeError and one for cart's, got %d: %+v", len(cards), cards)
	}
	if msg := cards[0].Facts["message"]; msg != "TypeError: Cannot read properties of undefined (reading 'price')" {
		t.Errorf("catalog's card tells %q, want the exception's message", msg)
	}
}

// rangeRecorder records the ranges the detectors read, and finds nothing.
type rangeRecorder struct {
	store.Narrative // unimplemented methods panic
	ranges          []store.Range
}

// Run records the scope of a query the detectors compiled themselves,
// and answers no rows.
func (f *rangeRecorder) Run(_ context.Context, q sqlq.Query, _ func(sqlq.Scanner) error) error {
	f.ranges = append(f.ranges, store.Range{From: q.Scope.From, To: q.Scope.To})
	return nil
}

func (f *rangeRecorder) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }

func TestStoriesReadWholeMinutes(t *testing.T) {
	const minute = int64(60e6)
	f := &rangeRecorder{}
	from, to := 1000*minute+30_500_000, 2440*minute+30_500_000 // like now-24h
	res, err := Stories{ProjectID: 1, Range: store.Range{From: from, To: to}}.Resolve(context.Background(), resolve.New(resolve.Roles{Narrative: f}, resolve.Options{}))
	if err != nil {
		t.Fatal(err)
	}
	want := store.Range{From: 1000 * minute, To: 2441 * minute}
	if len(f.ranges) < 5 {
		t.Fatalf("the detectors read %d ranges", len(f.ranges))
	}
	// The cascade detector also reads its lookback before the window
	// (stories_onset.go), and the release detectors theirs, from whole
	// minutes too.
	lookback := store.Range{From: want.From - onsetLookback, To: want.To}
	releases := store.Range{From: want.From - releaseLookback, To: want.To}
	for _, r := range f.ranges {
		if r != want && r != lookback && r != releases {
			t.Errorf("a detector read %v, want %v (or %v, %v)", r, want, lookback, releases)
		}
	}
	if res.From != "1970-01-01T16:40:00.000000Z" {
		t.Errorf("result from %s, want the minute (16:40)", res.From)
	}
	for _, r := range []store.Range{{From: 0, To: minute}, {From: -minute, To: 2 * minute}} {
		if got := wholeMinutes(r); got != r {
			t.Errorf("wholeMinutes(%v) = %v, want it unchanged", r, got)
		}
	}
	if got := wholeMinutes(store.Range{From: -1, To: 1}); got != (store.Range{From: -minute, To: minute}) {
		t.Errorf("wholeMinutes(-1, 1) = %v", got)
	}
}

// TestSampleEvidenceNamesEachTraceOnce: a trace that holds several of
// the sampled rows is named once, and the sample fills up with others.
func TestSampleEvidenceNamesEachTraceOnce(t *testing.T) {
	ids, paths := sampleEvidence([]string{"a", "a", "b", "a", "c", "d"}, 3)
	if strings.Join(ids, " ") != "a b c" || strings.Join(paths, " ") != "/api/v1/journeys/trace/a /api/v1/journeys/trace/b /api/v1/journeys/trace/c" {
		t.Errorf("sampleEvidence = %v, %v; want a, b, c once each", ids, paths)
	}
}

// TestStoriesShareAnswersThroughTheResolver: the query objects the
// detectors read (service series, call graphs, error groups, release
// starts) are answered through the app's one resolver — remembered by
// Key() beside every other analysis's answers —, so telling the stories
// of the same range again reads none of them from the store, and a
// Forget (a deletion) makes them read again.
func TestStoriesShareAnswersThroughTheResolver(t *testing.T) {
	const minute = int64(60e6)
	f := &queryCounter{}
	res := resolve.New(resolve.Roles{Narrative: f}, resolve.Options{})
	q := Stories{ProjectID: 1, Range: store.Range{From: 1000 * minute, To: 2440 * minute}}
	tell := func() map[string]int {
		t.Helper()
		f.names = map[string]int{}
		if _, err := q.Resolve(context.Background(), res); err != nil {
			t.Fatal(err)
		}
		return f.names
	}
	services := func(names map[string]int) (n int) {
		for name, c := range names {
			if strings.HasPrefix(name, "services.") {
				n += c
			}
		}
		return n
	}
	first := tell()
	if services(first) == 0 {
		t.Fatalf("the detectors read no services query: %v", first)
	}
	if again := tell(); services(again) != 0 {
		t.Errorf("telling the same stories again read %v from the store, want the services' answers remembered", again)
	}
	res.Forget()
	if after := tell(); services(after) != services(first) {
		t.Errorf("after Forget the detectors read %v, want what they read first: %v", after, first)
	}
}

// queryCounter counts the queries run by name, and answers no rows.
type queryCounter struct {
	store.Narrative // unimplemented methods panic
	names           map[string]int
}

func (f *queryCounter) Run(_ context.Context, q sqlq.Query, _ func(sqlq.Scanner) error) error {
	f.names[q.Name]++
	return nil
}

func (f *queryCounter) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }
