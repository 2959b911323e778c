package storetest

import (
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/analysis/product"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// AnalyticsStore is a backend with product analytics.
type AnalyticsStore interface {
	store.Store
	store.Analytics
}

// RunAnalytics runs the product-analytics suite: hand-computed answers on
// small datasets, and funnels, retention and paths compared with a
// brute-force reference on random event streams.
func RunAnalytics(t *testing.T, open func(t *testing.T) AnalyticsStore) {
	runSuite(t, open, analyticsCases())
}

func analyticsCases() []suiteCase[AnalyticsStore] {
	return []suiteCase[AnalyticsStore]{
		{"Funnel", testFunnel},
		{"FunnelWhere", testFunnelWhere},
		{"FunnelToError", testFunnelToError},
		{"FunnelDropoffs", testFunnelDropoffs},
		{"FunnelDropoffDetections", testFunnelDropoffDetections},
		{"FunnelRepeatedStep", testFunnelRepeatedStep},
		{"FunnelEqualTimestamps", testFunnelEqualTimestamps},
		{"RetentionBreakdown", testRetentionBreakdown},
		{"Retention", testRetention},
		{"Paths", testPaths},
		{"Trends", testTrends},
		{"Web", testWeb},
		{"AgainstReference", testAgainstReference},
	}
}

// pe is a product event of project 1.
func pe(ts int64, user, anon, kind, name string, attrs ...string) event.Event {
	e := event.Event{ProjectID: 1, TS: ts, ReceivedAt: ts, Kind: kind, UserID: user, AnonymousID: anon, Name: name}
	for i := 0; i+1 < len(attrs); i += 2 {
		e.Attributes = append(e.Attributes, event.Attr{Key: attrs[i], Value: attrs[i+1]})
	}
	return e
}

func track(ts int64, user, anon, name string, attrs ...string) event.Event {
	return pe(ts, user, anon, event.KindEvent, name, attrs...)
}

func steps(names ...string) []store.Step {
	out := make([]store.Step, len(names))
	for i, n := range names {
		out[i] = store.Step{Name: n}
	}
	return out
}

// funnelData: a converts fully; anonymous x views, is identified as b and
// adds, then hits a declined card; c views and adds after the window and
// hits a slow request; e views and buys without adding; d only adds.
func funnelData() []event.Event {
	errB := track(t0+40*sec, "b", "", "")
	errB.Kind, errB.Level, errB.ErrorType, errB.Service, errB.Message = event.KindError, event.LevelError, "CardDeclined", "payment", "card declined"
	slowC := event.Event{ProjectID: 1, TS: t0 + 100*sec, Kind: event.KindSpan, UserID: "c", Service: "cart", Name: "GET /api/cart", Endpoint: "/api/cart", DurationMS: 3000}
	other := track(t0+50*sec, "a", "", "View")
	other.ProjectID = 2
	return []event.Event{
		track(t0, "a", "", "View", "plan", "pro"),
		track(t0+10*sec, "a", "", "Add"),
		track(t0+20*sec, "a", "", "Buy"),
		track(t0, "", "x", "View", "plan", "free"),
		track(t0+5*sec, "b", "x", "$identify"),
		track(t0+30*sec, "b", "", "Add"),
		errB,
		track(t0, "c", "", "View", "plan", "pro"),
		track(t0+2*hour, "c", "", "Add"),
		slowC,
		track(t0, "e", "", "View", "plan", "free"),
		track(t0+10*sec, "e", "", "Buy"),
		track(t0+5*sec, "d", "", "Add"),
		other,
	}
}

func testFunnel(t *testing.T, s AnalyticsStore) {
	appendBatch(t, s, 1, funnelData()...)
	res, err := funnel(t, s, store.FunnelRequest{
		ProjectID: 1, Range: all, Steps: steps("View", "Add", "Buy"), Window: hour, Breakdown: "plan",
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{4, 2, 1}; !slices.Equal(res.Persons, want) {
		t.Errorf("persons = %v, want %v", res.Persons, want)
	}
	if want := []int64{0, 20 * sec, 10 * sec}; !slices.Equal(res.MedianToConvert, want) {
		t.Errorf("median to convert = %v, want %v", res.MedianToConvert, want)
	}
	got := map[string][]int64{}
	for _, b := range res.Breakdown {
		got[b.Value] = b.Persons
	}
	if want := map[string][]int64{"pro": {2, 1, 1}, "free": {2, 1, 0}}; !reflect.DeepEqual(got, want) {
		t.Errorf("breakdown = %v, want %v", got, want)
	}
	if len(res.Dropoffs) != 2 {
		t.Fatalf("dropoffs = %+v, want 2", res.Dropoffs)
	}
	d0, d1 := res.Dropoffs[0], res.Dropoffs[1]
	if d0.Persons != 2 || d1.Persons != 1 {
		t.Errorf("dropped persons = %d, %d; want 2, 1", d0.Persons, d1.Persons)
	}
	if len(d0.Causes) != 1 || d0.Causes[0].Kind != "slow" || d0.Causes[0].Label != "/api/cart" || d0.Causes[0].Persons != 1 || d0.Causes[0].MedianMS != 3000 {
		t.Errorf("step 0 causes = %+v, want the slow /api/cart of c", d0.Causes)
	}
	if len(d1.Causes) != 1 || d1.Causes[0].Kind != "error" || d1.Causes[0].Label != "CardDeclined" || d1.Causes[0].Service != "payment" {
		t.Errorf("step 1 causes = %+v, want CardDeclined", d1.Causes)
	}
	if !slices.Equal(d0.Samples, []string{"c", "e"}) || !slices.Equal(d1.Samples, []string{"b"}) {
		t.Errorf("samples = %v, %v; want [c e], [b]", d0.Samples, d1.Samples)
	}
}

func testFunnelWhere(t *testing.T, s AnalyticsStore) {
	appendBatch(t, s, 1, funnelData()...)
	st := steps("View", "Add")
	st[0].Where = mustQuery(t, "plan:pro")
	res, err := funnel(t, s, store.FunnelRequest{ProjectID: 1, Range: all, Steps: st, Window: 3 * hour})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{2, 2}; !slices.Equal(res.Persons, want) {
		t.Errorf("persons = %v, want %v (a and c, c within 3h)", res.Persons, want)
	}
	if len(res.Breakdown) != 0 {
		t.Errorf("breakdown = %+v without asking", res.Breakdown)
	}
}

func testRetention(t *testing.T, s AnalyticsStore) {
	const d = 24 * hour
	// t0 is a Thursday; days are aligned to midnight.
	appendBatch(t, s, 1,
		track(t0+1*hour, "a", "", "Signup"),
		track(t0+2*hour, "a", "", "Use"),
		track(t0+d+hour, "a", "", "Use"),
		track(t0+3*d, "a", "", "Use"),
		track(t0+5*hour, "b", "", "Signup"),
		track(t0+2*d+hour, "b", "", "Use"),
		track(t0+d+9*hour, "", "y", "Signup", "plan", "pro"),
		track(t0+d+10*hour, "c", "y", "$identify"),
		track(t0+2*d+hour, "c", "", "Use"),
		track(t0+2*d, "z", "", "Use"), // never signed up
	)
	res, err := retention(t, s, store.RetentionRequest{
		ProjectID: 1, Range: store.Range{From: t0, To: t0 + 7*d}, Start: store.Step{Name: "Signup"}, Return: store.Step{Name: "Use"}, Period: d, Periods: 4,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Cohort{
		{Start: t0, Size: 2, Returned: []int64{1, 1, 1, 1}},
		{Start: t0 + d, Size: 1, Returned: []int64{0, 1, 0, 0}},
	}
	if !reflect.DeepEqual(res.Cohorts, want) {
		t.Errorf("cohorts = %+v, want %+v", res.Cohorts, want)
	}
	wk, err := retention(t, s, store.RetentionRequest{
		ProjectID: 1, Range: store.Range{From: t0 - 7*d, To: t0 + 14*d}, Start: store.Step{Name: "Signup"}, Return: store.Step{Name: "Use"}, Period: 7 * d, Periods: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Weeks start on Monday 2025-12-29: everything is in that week but
	// a's Sunday use (Jan 4 is a Sunday; t0+3d) — still the same week.
	wantW := []store.Cohort{{Start: t0 - 3*d, Size: 3, Returned: []int64{3, 0}}}
	if !reflect.DeepEqual(wk.Cohorts, wantW) {
		t.Errorf("weekly cohorts = %+v, want %+v", wk.Cohorts, wantW)
	}
}

func testPaths(t *testing.T, s AnalyticsStore) {
	errC := track(t0+3*sec, "c", "", "")
	errC.Kind, errC.Level, errC.ErrorType = event.KindError, event.LevelError, "Timeout"
	appendBatch(t, s, 1,
		pe(t0, "a", "", event.KindPageview, "/home"),
		pe(t0+1*sec, "a", "", event.KindPageview, "/product"),
		track(t0+2*sec, "a", "", "Add"),
		track(t0+3*sec, "a", "", "Buy"),
		pe(t0, "", "x", event.KindPageview, "/home"),
		track(t0+1*sec, "b", "x", "$identify"),
		pe(t0+2*sec, "b", "", event.KindPageview, "/product"),
		track(t0+3*sec, "b", "", "Add"),
		pe(t0, "c", "", event.KindPageview, "/home"),
		pe(t0+1*sec, "c", "", event.KindPageview, "/product"),
		track(t0+2*sec, "c", "", "Add"),
		errC,
	)
	got, err := paths(t, s, store.PathsRequest{ProjectID: 1, Range: all, Start: &store.Step{Name: "/home"}, Depth: 3})
	if err != nil {
		t.Fatal(err)
	}
	// b's $identify is bookkeeping, not a step.
	want := []store.PathCount{{Steps: []string{"/home", "/product", "Add"}, Persons: 3}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths after /home = %+v, want %+v", got, want)
	}
	got, err = paths(t, s, store.PathsRequest{ProjectID: 1, Range: all, End: &store.Step{Name: store.StepError}, Depth: 3})
	if err != nil {
		t.Fatal(err)
	}
	want = []store.PathCount{{Steps: []string{"/product", "Add", "error: Timeout"}, Persons: 1}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths to an error = %+v, want %+v", got, want)
	}
}

func testTrends(t *testing.T, s AnalyticsStore) {
	appendBatch(t, s, 1,
		track(t0, "a", "", "Buy", "amount", "10", "plan", "pro"),
		track(t0+10*min_, "a", "", "Buy", "amount", "20", "plan", "pro"),
		track(t0+20*min_, "b", "", "Buy", "amount", "30", "plan", "free"),
		track(t0+hour+5*min_, "", "x", "Buy", "amount", "40", "plan", "free"),
		track(t0+hour+6*min_, "c", "x", "$identify"),
		track(t0+hour+7*min_, "c", "", "Buy", "amount", "oops", "plan", "free"),
	)
	got, err := product.Trends{ProjectID: 1, Range: store.Range{From: t0, To: t0 + 3*hour}, Event: store.Step{Name: "Buy"}, Interval: hour, Property: "amount"}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || len(got[0].Points) != 3 {
		t.Fatalf("series = %+v, want one of 3 points", got)
	}
	p := got[0].Points
	if p[0].Count != 3 || p[0].Persons != 2 || p[0].Sum != 60 || p[0].Avg != 20 || p[1].Count != 2 || p[1].Persons != 1 || p[1].Sum != 40 || p[2].Count != 0 || p[2].Start != t0+2*hour {
		t.Errorf("points = %+v", p)
	}
	got, err = product.Trends{ProjectID: 1, Range: store.Range{From: t0, To: t0 + 3*hour}, Event: store.Step{Name: "Buy"}, Interval: 3 * hour, Breakdown: "plan", MaxBreakdowns: 1}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int64{}
	for _, s := range got {
		counts[s.Breakdown] = s.Points[0].Count
	}
	if want := map[string]int64{"free": 3, "$other": 2}; !reflect.DeepEqual(counts, want) {
		t.Errorf("breakdown counts = %v, want %v", counts, want)
	}
}

func testWeb(t *testing.T, s AnalyticsStore) {
	pv := func(ts int64, user, sess, path string, kv ...string) event.Event {
		e := pe(ts, user, "", event.KindPageview, path, append([]string{"path", path}, kv...)...)
		e.SessionID = sess
		return e
	}
	chrome := []string{"browser", "Chrome", "os", "macOS", "device_type", "desktop"}
	appendBatch(t, s, 1,
		pv(t0, "a", "s1", "/", append([]string{"referrer", "https://news.example/", "utm_source", "hn"}, chrome...)...),
		pv(t0+60*sec, "a", "s1", "/pricing", chrome...),
		pv(t0+120*sec, "a", "s1", "/signup", chrome...),
		pv(t0, "b", "", "/blog", "browser", "Firefox", "os", "Linux", "device_type", "desktop"),
		// b comes back after 2 hours: a second session without an id.
		// posthog-js spells the device type "Desktop": one device.
		pv(t0+2*hour, "b", "", "/", "browser", "Firefox", "os", "Linux", "device_type", "Desktop"),
		track(t0+2*hour+30*sec, "b", "", "Clicked"),
	)
	w, err := product.Web{ProjectID: 1, Range: all}.Run(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if w.Pageviews != 5 || w.Visitors != 2 || w.Sessions != 3 {
		t.Errorf("pageviews, visitors, sessions = %d, %d, %d; want 5, 2, 3", w.Pageviews, w.Visitors, w.Sessions)
	}
	if want := 2.0 / 3; w.BounceRate < want-1e-9 || w.BounceRate > want+1e-9 {
		t.Errorf("bounce rate = %v, want %v", w.BounceRate, want)
	}
	if want := (120.0 + 0 + 30) / 3; w.AvgSessionSeconds != want {
		t.Errorf("avg session = %v s, want %v", w.AvgSessionSeconds, want)
	}
	wc := func(kv ...any) []product.WebCount {
		out := []product.WebCount{}
		for i := 0; i < len(kv); i += 2 {
			out = append(out, product.WebCount{Value: kv[i].(string), Count: int64(kv[i+1].(int))})
		}
		return out
	}
	for _, c := range []struct {
		name      string
		got, want []product.WebCount
	}{
		{"pages", w.Pages, wc("/", 2, "/blog", 1, "/pricing", 1, "/signup", 1)},
		{"entry", w.EntryPages, wc("/", 2, "/blog", 1)},
		{"exit", w.ExitPages, wc("/", 1, "/blog", 1, "/signup", 1)},
		{"referrers", w.Referrers, wc("https://news.example/", 1)},
		{"utm sources", w.UTMSources, wc("hn", 1)},
		{"browsers", w.Browsers, wc("Chrome", 1, "Firefox", 1)},
		{"os", w.OS, wc("Linux", 1, "macOS", 1)},
		{"devices", w.Devices, wc("desktop", 2)},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %+v, want %+v", c.name, c.got, c.want)
		}
	}
}

// testAgainstReference compares funnels, retention and paths with a
// brute-force reference on random streams (distinct timestamps, so the
// order of events is unambiguous).
func testAgainstReference(t *testing.T, s AnalyticsStore) {
	rng := rand.New(rand.NewPCG(7, 11))
	names := []string{"A", "B", "C", "D"}
	var evs []event.Event
	used := map[int64]bool{}
	for p := range 40 {
		user, anon := fmt.Sprintf("u%d", p), fmt.Sprintf("anon%d", p)
		identified := rng.IntN(3) > 0
		for range 1 + rng.IntN(12) {
			ts := t0 + rng.Int64N(48*hour)
			for used[ts] {
				ts++
			}
			used[ts] = true
			u, a := user, ""
			if identified && rng.IntN(2) == 0 {
				u, a = "", anon // sent before identification
			} else if !identified {
				u, a = "", anon
			}
			evs = append(evs, track(ts, u, a, names[rng.IntN(len(names))]))
		}
		if identified {
			ts := t0 + 49*hour + int64(p)
			evs = append(evs, track(ts, user, anon, "$identify"))
		}
	}
	appendBatch(t, s, 1, evs...)
	rf := refStream(evs)
	rng2 := store.Range{From: t0, To: t0 + 50*hour}
	for _, win := range []int64{30 * min_, 6 * hour, 72 * hour} {
		st := steps("A", "B", "C")
		got, err := funnel(t, s, store.FunnelRequest{ProjectID: 1, Range: rng2, Steps: st, Window: win})
		if err != nil {
			t.Fatal(err)
		}
		want := rf.funnel([]string{"A", "B", "C"}, win)
		if win == 72*hour && (want[0] < 20 || want[2] == 0 || want[2] == want[0]) {
			t.Fatalf("reference funnel %v is too trivial to compare", want)
		}
		if !slices.Equal(got.Persons, want) {
			t.Errorf("funnel window %dµs: persons = %v, reference %v", win, got.Persons, want)
		}
	}
	for _, period := range []int64{6 * hour, 24 * hour} {
		got, err := retention(t, s, store.RetentionRequest{ProjectID: 1, Range: rng2, Start: store.Step{Name: "A"}, Return: store.Step{Name: "B"}, Period: period, Periods: 5})
		if err != nil {
			t.Fatal(err)
		}
		if want := rf.retention("A", "B", period, 5); !reflect.DeepEqual(got.Cohorts, want) {
			t.Errorf("retention period %dµs:\n got %+v\nwant %+v", period, got.Cohorts, want)
		}
	}
	got, err := paths(t, s, store.PathsRequest{ProjectID: 1, Range: rng2, Start: &store.Step{Name: "B"}, Depth: 3, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	if want := rf.paths("B", 3); !reflect.DeepEqual(got, want) {
		t.Errorf("paths:\n got %+v\nwant %+v", got, want)
	}
}

// ref is the brute-force reference: events per person, in time order.
type ref struct{ byPerson map[string][]event.Event }

func refStream(evs []event.Event) ref {
	idm := map[string]string{}
	for _, e := range evs {
		if e.UserID != "" && e.AnonymousID != "" {
			if u, ok := idm[e.AnonymousID]; !ok || e.UserID < u {
				idm[e.AnonymousID] = e.UserID
			}
		}
	}
	r := ref{byPerson: map[string][]event.Event{}}
	for _, e := range evs {
		k := e.UserID
		if k == "" {
			k = e.AnonymousID
		}
		if u, ok := idm[k]; ok {
			k = u
		}
		r.byPerson[k] = append(r.byPerson[k], e)
	}
	for _, es := range r.byPerson {
		sort.Slice(es, func(i, j int) bool { return es[i].TS < es[j].TS })
	}
	return r
}

func inRef(e event.Event) bool { return e.TS >= t0 && e.TS < t0+50*hour }

func (r ref) funnel(names []string, win int64) []int64 {
	out := make([]int64, len(names))
	for _, es := range r.byPerson {
		best := 0
		for i, e := range es {
			if !inRef(e) || e.Name != names[0] {
				continue
			}
			depth, start := 1, e.TS
			for _, f := range es[i+1:] {
				if depth == len(names) || f.TS > start+win || !inRef(f) {
					break
				}
				if f.Name == names[depth] {
					depth++
				}
			}
			best = max(best, depth)
		}
		for i := range best {
			out[i]++
		}
	}
	return out
}

func (r ref) retention(start, ret string, period int64, periods int) []store.Cohort {
	origin := int64(0)
	bucket := func(ts int64) int64 {
		b := (ts - origin) / period
		if (ts-origin)%period < 0 {
			b--
		}
		return origin + b*period
	}
	cohorts := map[int64]*store.Cohort{}
	for _, es := range r.byPerson {
		first := int64(-1)
		for _, e := range es {
			if inRef(e) && e.Name == start {
				first = e.TS
				break
			}
		}
		if first < 0 {
			continue
		}
		c := bucket(first)
		co := cohorts[c]
		if co == nil {
			co = &store.Cohort{Start: c, Returned: make([]int64, periods)}
			cohorts[c] = co
		}
		co.Size++
		seen := map[int64]bool{}
		for _, e := range es {
			if inRef(e) && e.Name == ret && e.TS >= first {
				k := (bucket(e.TS) - c) / period
				if k < int64(periods) && !seen[k] {
					seen[k] = true
					co.Returned[k]++
				}
			}
		}
	}
	out := []store.Cohort{}
	for _, c := range cohorts {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start < out[j].Start })
	return out
}

func (r ref) paths(start string, depth int) []store.PathCount {
	counts := map[string]*store.PathCount{}
	for _, es := range r.byPerson {
		var path []string
		for _, e := range es {
			if !inRef(e) {
				continue
			}
			if len(path) == 0 && e.Name != start || e.Name == "$identify" {
				continue
			}
			if len(path) < depth {
				path = append(path, e.Name)
			}
		}
		if len(path) == 0 {
			continue
		}
		k := fmt.Sprint(path)
		if counts[k] == nil {
			counts[k] = &store.PathCount{Steps: path}
		}
		counts[k].Persons++
	}
	out := []store.PathCount{}
	for _, c := range counts {
		out = append(out, *c)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Persons != out[j].Persons {
			return out[i].Persons > out[j].Persons
		}
		return slices.Compare(out[i].Steps, out[j].Steps) < 0
	})
	return out
}

// testFunnelToError ends a funnel at any error, and lets one name appear
// in two steps (each event still counts for one step at a time).
func testFunnelToError(t *testing.T, s AnalyticsStore) {
	appendBatch(t, s, 1, funnelData()...)
	res, err := funnel(t, s, store.FunnelRequest{ProjectID: 1, Range: all, Steps: steps("View", "Add", store.StepError), Window: hour})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{4, 2, 1}; !slices.Equal(res.Persons, want) {
		t.Errorf("view → add → error persons = %v, want %v (b hit CardDeclined)", res.Persons, want)
	}
	appendBatch(t, s, 2, track(t0+30*sec, "a", "", "View"))
	res, err = funnel(t, s, store.FunnelRequest{ProjectID: 1, Range: all, Steps: steps("View", "View"), Window: hour})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{4, 1}; !slices.Equal(res.Persons, want) {
		t.Errorf("view → view persons = %v, want %v (only a viewed twice)", res.Persons, want)
	}
}

func testRetentionBreakdown(t *testing.T, s AnalyticsStore) {
	const d = 24 * hour
	appendBatch(t, s, 1,
		track(t0+hour, "a", "", "Signup", "plan", "pro"),
		track(t0+d+hour, "a", "", "Use"),
		track(t0+2*hour, "b", "", "Signup", "plan", "free"),
		track(t0+3*hour, "c", "", "Signup", "plan", "free"),
		track(t0+d+3*hour, "c", "", "Use"),
		track(t0+2*d, "c", "", "Signup", "plan", "pro"), // not c's first
	)
	res, err := retention(t, s, store.RetentionRequest{
		ProjectID: 1, Range: store.Range{From: t0, To: t0 + 3*d}, Start: store.Step{Name: "Signup"}, Return: store.Step{Name: "Use"}, Period: d, Periods: 2, Breakdown: "plan",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []store.Cohort{
		{Start: t0, Breakdown: "free", Size: 2, Returned: []int64{0, 1}},
		{Start: t0, Breakdown: "pro", Size: 1, Returned: []int64{0, 1}},
	}
	if !reflect.DeepEqual(res.Cohorts, want) {
		t.Errorf("cohorts = %+v, want %+v", res.Cohorts, want)
	}
}

// testFunnelDropoffs is testFunnel without a breakdown: the same counts,
// times to convert, drop-off causes and samples.
func testFunnelDropoffs(t *testing.T, s AnalyticsStore) {
	appendBatch(t, s, 1, funnelData()...)
	res, err := funnel(t, s, store.FunnelRequest{ProjectID: 1, Range: all, Steps: steps("View", "Add", "Buy"), Window: hour})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{4, 2, 1}; !slices.Equal(res.Persons, want) {
		t.Errorf("persons = %v, want %v", res.Persons, want)
	}
	if want := []int64{0, 20 * sec, 10 * sec}; !slices.Equal(res.MedianToConvert, want) {
		t.Errorf("median to convert = %v, want %v", res.MedianToConvert, want)
	}
	if len(res.Breakdown) != 0 {
		t.Errorf("breakdown = %+v without asking", res.Breakdown)
	}
	if len(res.Dropoffs) != 2 {
		t.Fatalf("dropoffs = %+v, want 2", res.Dropoffs)
	}
	d0, d1 := res.Dropoffs[0], res.Dropoffs[1]
	if d0.Persons != 2 || d1.Persons != 1 {
		t.Errorf("dropped persons = %d, %d; want 2, 1", d0.Persons, d1.Persons)
	}
	if len(d0.Causes) != 1 || d0.Causes[0].Kind != "slow" || d0.Causes[0].Label != "/api/cart" || d0.Causes[0].Persons != 1 || d0.Causes[0].Events != 1 || d0.Causes[0].MedianMS != 3000 {
		t.Errorf("step 0 causes = %+v, want the slow /api/cart of c", d0.Causes)
	}
	if len(d1.Causes) != 1 || d1.Causes[0].Kind != "error" || d1.Causes[0].Label != "CardDeclined" || d1.Causes[0].Service != "payment" || d1.Causes[0].Persons != 1 {
		t.Errorf("step 1 causes = %+v, want CardDeclined", d1.Causes)
	}
	if !slices.Equal(d0.Samples, []string{"c", "e"}) || !slices.Equal(d1.Samples, []string{"b"}) {
		t.Errorf("samples = %v, %v; want [c e], [b]", d0.Samples, d1.Samples)
	}
}

// testFunnelDropoffDetections: session replay's rage clicks, dead clicks
// and errors after a click by the persons who dropped are drop-off causes
// labelled by what was clicked; those over before the step or by persons
// who went on are not. A detection lasts replay.detection_ms from its
// first click: a rage click whose first click made the step (20 ms before
// it) and that goes on after it counts.
func testFunnelDropoffDetections(t *testing.T, s AnalyticsStore) {
	detect := func(ts int64, user, name, text string, ms ...string) event.Event {
		e := track(ts, user, "", name, append([]string{"$el_text", text, "$el_selector", "button#x"}, ms...)...)
		e.Level, e.Service = event.LevelWarn, "web"
		return e
	}
	appendBatch(t, s, 1,
		track(t0, "p", "", "Checkout"), detect(t0+5*sec, "p", "$rageclick", "Pay now"), detect(t0+9*sec, "p", "$dead_click", "Size guide"),
		track(t0, "q", "", "Checkout"), detect(t0+7*sec, "q", "$rageclick", "Pay now"),
		detect(t0-10*sec, "r", "$rageclick", "Pay now"), track(t0, "r", "", "Checkout"),
		detect(t0-20_000, "s", "$rageclick", "Pay now", "replay.detection_ms", "600"), track(t0, "s", "", "Checkout"),
		detect(t0-10*sec, "u", "$rageclick", "Pay now", "replay.detection_ms", "2000"), track(t0, "u", "", "Checkout"),
		track(t0, "w", "", "Checkout"), detect(t0+3*sec, "w", "$rageclick", "Pay now"), track(t0+20*sec, "w", "", "Paid"),
	)
	res, err := funnel(t, s, store.FunnelRequest{ProjectID: 1, Range: all, Steps: steps("Checkout", "Paid"), Window: hour})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Dropoffs) != 1 || res.Dropoffs[0].Persons != 5 {
		t.Fatalf("dropoffs = %+v, want 5 persons after Checkout", res.Dropoffs)
	}
	got := map[string]store.DropoffCause{}
	for _, c := range res.Dropoffs[0].Causes {
		got[c.Kind+" "+c.Label] = c
	}
	if c := got["rage_click Pay now"]; c.Persons != 3 || c.Events != 3 || c.Service != "web" {
		t.Errorf("rage clicks = %+v, want p, q and s's (3 persons, 3 events) of all causes %+v", c, res.Dropoffs[0].Causes)
	}
	if c := got["dead_click Size guide"]; c.Persons != 1 {
		t.Errorf("dead clicks = %+v, want p's of all causes %+v", c, res.Dropoffs[0].Causes)
	}
	if len(got) != 2 {
		t.Errorf("causes = %+v, want the rage and dead clicks only", res.Dropoffs[0].Causes)
	}
	// Errors more common than the clicks do not crowd them out: each kind keeps its Causes.
	var errs []event.Event
	for _, u := range []string{"p", "q", "r"} {
		e := track(t0+20*sec, u, "", "")
		e.Kind, e.Level, e.ErrorType, e.Service = event.KindError, event.LevelError, "RateLimited", "payment"
		errs = append(errs, e)
	}
	appendBatch(t, s, 2, errs...)
	res, err = funnel(t, s, store.FunnelRequest{ProjectID: 1, Range: all, Steps: steps("Checkout", "Paid"), Window: hour, Causes: 1})
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, c := range res.Dropoffs[0].Causes {
		kinds = append(kinds, c.Kind+" "+c.Label)
	}
	slices.Sort(kinds)
	if want := []string{"error RateLimited", "rage_click Pay now"}; !slices.Equal(kinds, want) {
		t.Errorf("causes with 1 of each = %v, want %v", kinds, want)
	}
}

// testFunnelRepeatedStep: with a step repeated, a person who misses the
// second occurrence stops there even if they did the later steps, with
// and without step filters.
func testFunnelRepeatedStep(t *testing.T, s AnalyticsStore) {
	appendBatch(t, s, 1,
		track(t0, "p", "", "View", "plan", "pro"),
		track(t0+10*sec, "p", "", "Add", "plan", "pro"),
		track(t0+20*sec, "p", "", "Add", "plan", "pro"),
		track(t0, "q", "", "View", "plan", "pro"),
		track(t0+5*sec, "q", "", "View", "plan", "pro"),
		track(t0+10*sec, "q", "", "Add", "plan", "pro"),
	)
	for _, filtered := range []bool{false, true} {
		st := steps("View", "View", "Add")
		if filtered {
			for i := range st {
				st[i].Where = mustQuery(t, "plan:pro")
			}
		}
		res, err := funnel(t, s, store.FunnelRequest{ProjectID: 1, Range: all, Steps: st, Window: hour})
		if err != nil {
			t.Fatal(err)
		}
		if want := []int64{2, 1, 1}; !slices.Equal(res.Persons, want) {
			t.Errorf("filtered %v: view → view → add persons = %v, want %v (p never viewed twice)", filtered, res.Persons, want)
		}
	}
}

// testFunnelEqualTimestamps: steps with equal timestamps (SDKs stamp to the
// millisecond) advance in the order they arrived, as ClickHouse's
// windowFunnel lets them; one that arrived before the previous step does
// not.
func testFunnelEqualTimestamps(t *testing.T, s AnalyticsStore) {
	appendBatch(t, s, 1,
		track(t0, "p", "", "View", "plan", "pro"),
		track(t0, "p", "", "Add", "plan", "pro"),
		track(t0, "p", "", "Buy", "plan", "pro"),
		track(t0, "q", "", "Add", "plan", "pro"), // before its View
		track(t0, "q", "", "View", "plan", "pro"),
		track(t0+sec, "r", "", "View", "plan", "pro"),
		track(t0+sec, "r", "", "View", "plan", "pro"),
		track(t0+sec, "r", "", "Add", "plan", "pro"),
	)
	for _, filtered := range []bool{false, true} {
		for _, c := range []struct {
			steps []string
			want  []int64
		}{
			{[]string{"View", "Add", "Buy"}, []int64{3, 2, 1}},
			{[]string{"View", "View", "Add"}, []int64{3, 1, 1}},
		} {
			st := steps(c.steps...)
			if filtered {
				for i := range st {
					st[i].Where = mustQuery(t, "plan:pro")
				}
			}
			res, err := funnel(t, s, store.FunnelRequest{ProjectID: 1, Range: all, Steps: st, Window: hour})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Persons, c.want) {
				t.Errorf("filtered %v: %v persons = %v, want %v", filtered, c.steps, res.Persons, c.want)
			}
		}
	}
}

// paths runs a paths query through the store (its person index, when it
// has one) and through SQL alone, and fails unless both agree.
func paths(t *testing.T, s AnalyticsStore, r store.PathsRequest) ([]store.PathCount, error) {
	t.Helper()
	got, err := product.Paths(r).Run(context.Background(), s)
	if err != nil {
		return nil, err
	}
	bySQL, err := product.Paths(r).Run(context.Background(), plainExec{s})
	if err != nil {
		return nil, fmt.Errorf("by SQL: %w", err)
	}
	if !reflect.DeepEqual(got, bySQL) {
		t.Errorf("paths %+v: through the store %+v, by SQL %+v", r, got, bySQL)
	}
	return got, nil
}

// retention runs a retention query through the store (its person index,
// when it has one) and through SQL alone, and fails unless both agree.
func retention(t *testing.T, s AnalyticsStore, r store.RetentionRequest) (store.RetentionResult, error) {
	t.Helper()
	got, err := product.Retention(r).Run(context.Background(), s)
	if err != nil {
		return got, err
	}
	bySQL, err := product.Retention(r).Run(context.Background(), plainExec{s})
	if err != nil {
		return got, fmt.Errorf("by SQL: %w", err)
	}
	if !reflect.DeepEqual(got, bySQL) {
		t.Errorf("retention %+v: through the store %+v, by SQL %+v", r, got, bySQL)
	}
	return got, nil
}

// funnel runs a funnel through the store (its person index, when it has
// one) and through SQL alone, and fails unless both agree.
func funnel(t *testing.T, s AnalyticsStore, r store.FunnelRequest) (store.FunnelResult, error) {
	t.Helper()
	got, err := product.Funnel{FunnelRequest: r}.Run(context.Background(), s)
	if err != nil {
		return got, err
	}
	bySQL, err := product.Funnel{FunnelRequest: r}.Run(context.Background(), plainExec{s})
	if err != nil {
		return got, fmt.Errorf("by SQL: %w", err)
	}
	if !reflect.DeepEqual(got, bySQL) {
		t.Errorf("funnel %+v:\nthrough the store %+v\nby SQL            %+v", r, got, bySQL)
	}
	return got, nil
}
