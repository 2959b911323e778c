package pipes_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixMicro()

const sec = int64(1_000_000)

// shop is the test's data: 300 events over 75 minutes of two projects'
// services, each with a status, a duration, a user, a message naming the
// user and the time taken, and an amount attribute.
func shop() []event.Event {
	var evs []event.Event
	endpoints := []string{"/pay", "/cart", "/search"}
	for i := range 300 {
		svc := "payment-service"
		if i%3 != 0 {
			svc = "api"
		}
		status := int32(200)
		switch {
		case i%5 == 0:
			status = 429
		case i%11 == 0:
			status = 500
		}
		e := event.Event{
			ProjectID: 1, TS: t0 + int64(i)*15*sec, Kind: "log", Level: "info", Service: svc,
			Endpoint: endpoints[i%3], HTTPStatus: status, DurationMS: float64(i%50*10 + 5),
			UserID:  fmt.Sprintf("u%d", i%7),
			Message: fmt.Sprintf("user=u%d took %dms", i%7, i%50*10+5),
			Attributes: []event.Attr{
				{Key: "amount", Value: strconv.Itoa(i * 3)},
				{Key: "it's \"odd\"", Value: "x"},
			},
		}
		if status >= 500 {
			e.Level = "error"
		}
		evs = append(evs, e)
	}
	// another project's events never show
	evs = append(evs, event.Event{ProjectID: 2, TS: t0, Kind: "log", Service: "api", Endpoint: "/pay", HTTPStatus: 429, Message: "user=intruder took 1ms"})
	return evs
}

// shared is the store every test reads (opening DuckDB is the slow part).
var shared store.Store

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lore-pipes-")
	if err != nil {
		panic(err)
	}
	s, err := duckdb.Open(context.Background(), dir, duckdb.Options{}, nil)
	if err != nil {
		panic(err)
	}
	if err := s.Append(context.Background(), store.Batch{Seq: 1, Events: shop()}); err != nil {
		panic(err)
	}
	shared = s
	code := m.Run()
	s.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	return shared
}

func run(t *testing.T, s store.Store, text string) pipes.Result {
	t.Helper()
	return runOver(t, s, text, t0, t0+3600*sec*2)
}

// runOver runs text over the events of [from, to).
func runOver(t *testing.T, s store.Store, text string, from, to int64) pipes.Result {
	t.Helper()
	p, err := pipes.Parse(text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	res, err := pipes.Query{Pipeline: p, ProjectID: 1, From: from, To: to}.Run(context.Background(), s)
	if err != nil {
		t.Fatalf("Run(%q): %v", text, err)
	}
	return res
}

func names(res pipes.Result) string {
	var n []string
	for _, c := range res.Columns {
		n = append(n, c.Name+":"+string(c.Type))
	}
	return strings.Join(n, ",")
}

func num(v any) float64 {
	switch x := v.(type) {
	case int64:
		return float64(x)
	case float64:
		return x
	}
	return math.NaN()
}

// quantile is quantile_cont: linear interpolation between the two
// nearest ranks.
func quantile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	pos := p * float64(len(s)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	return s[lo] + (s[hi]-s[lo])*(pos-float64(lo))
}

// TestStatsByField is the example: count, p95 and distinct users
// of the 429s by endpoint, sorted and limited, checked against the same
// figures computed here from the events.
func TestStatsByField(t *testing.T) {
	s := openStore(t)
	res := run(t, s, `status:429 | stats count() as n, p95(duration_ms), uniq(user_id) by endpoint | sort n desc, endpoint | limit 2`)
	if got := names(res); got != "endpoint:string,n:number,p95(duration_ms):number,uniq(user_id):number" {
		t.Fatalf("columns %s", got)
	}
	type agg struct {
		n     int
		durs  []float64
		users map[string]bool
	}
	want := map[string]*agg{}
	for _, e := range shop() {
		if e.ProjectID != 1 || e.HTTPStatus != 429 {
			continue
		}
		a := want[e.Endpoint]
		if a == nil {
			a = &agg{users: map[string]bool{}}
			want[e.Endpoint] = a
		}
		a.n++
		a.durs = append(a.durs, e.DurationMS)
		a.users[e.UserID] = true
	}
	var eps []string
	for ep := range want {
		eps = append(eps, ep)
	}
	sort.Slice(eps, func(i, j int) bool {
		if want[eps[i]].n != want[eps[j]].n {
			return want[eps[i]].n > want[eps[j]].n
		}
		return eps[i] < eps[j]
	})
	if len(res.Rows) != 2 {
		t.Fatalf("%d rows, want 2 (limit): %v", len(res.Rows), res.Rows)
	}
	for i, row := range res.Rows {
		w := want[eps[i]]
		if row[0] != eps[i] || num(row[1]) != float64(w.n) || math.Abs(num(row[2])-quantile(w.durs, 0.95)) > 1e-9 || num(row[3]) != float64(len(w.users)) {
			t.Errorf("row %d = %v, want [%s %d %v %d]", i, row, eps[i], w.n, quantile(w.durs, 0.95), len(w.users))
		}
	}
}

// TestStatsByBinAndTimechart buckets by time: counts per 15 minutes,
// aligned to the clock, in time order; timechart splits by a field, and
// has each bucket of the range for each series.
func TestStatsByBinAndTimechart(t *testing.T) {
	s := openStore(t)
	res := run(t, s, `| stats count() as n, rate() by bin(15m)`)
	if got := names(res); got != "time:time,n:number,rate:number" {
		t.Fatalf("columns %s", got)
	}
	if len(res.Rows) != 5 {
		t.Fatalf("%d buckets, want 5 (75 minutes): %v", len(res.Rows), res.Rows)
	}
	for i, row := range res.Rows {
		if row[0] != t0+int64(i)*900*sec || num(row[1]) != 60 || math.Abs(num(row[2])-60.0/900) > 1e-12 {
			t.Errorf("bucket %d = %v, want [%d 60 %v]", i, row, t0+int64(i)*900*sec, 60.0/900)
		}
	}
	res = run(t, s, `level:error | timechart span=30m count() by service`)
	if got := names(res); got != "time:time,service:string,count:number" {
		t.Fatalf("columns %s", got)
	}
	// every 30 minutes of the two hours, for each service with errors:
	// 0 where it had none
	want := map[string]int{}
	for _, e := range shop() {
		if e.ProjectID == 1 && e.Level == "error" {
			for b := t0; b < t0+7200*sec; b += 1800 * sec {
				want[fmt.Sprintf("%d|%s", b, e.Service)] += 0
			}
			b := t0 + (e.TS-t0)/(1800*sec)*1800*sec
			want[fmt.Sprintf("%d|%s", b, e.Service)]++
		}
	}
	if len(res.Rows) != len(want) {
		t.Errorf("%d rows, want %d (4 buckets × each service)", len(res.Rows), len(want))
	}
	got := map[string]int{}
	last := int64(0)
	for _, row := range res.Rows {
		ts := row[0].(int64)
		if ts < last {
			t.Errorf("not in time order: %v", res.Rows)
		}
		last = ts
		got[fmt.Sprintf("%d|%s", ts, row[1])] = int(num(row[2]))
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("timechart %v, want %v", got, want)
	}
}

// TestTopRare counts the most and least frequent values.
func TestTopRare(t *testing.T) {
	s := openStore(t)
	count := map[string]int{}
	for _, e := range shop() {
		if e.ProjectID == 1 && e.HTTPStatus == 429 {
			count[e.UserID]++
		}
	}
	var users []string
	for u := range count {
		users = append(users, u)
	}
	sort.Slice(users, func(i, j int) bool {
		if count[users[i]] != count[users[j]] {
			return count[users[i]] > count[users[j]]
		}
		return users[i] < users[j]
	})
	res := run(t, s, `status:429 | top 3 user`)
	if got := names(res); got != "user:string,count:number" {
		t.Fatalf("columns %s", got)
	}
	for i, row := range res.Rows {
		if row[0] != users[i] || num(row[1]) != float64(count[users[i]]) {
			t.Errorf("top row %d = %v, want %s %d", i, row, users[i], count[users[i]])
		}
	}
	if len(res.Rows) != 3 {
		t.Errorf("top 3 gave %d rows", len(res.Rows))
	}
	res = run(t, s, `status:429 | rare 1 user`)
	sort.SliceStable(users, func(i, j int) bool { return count[users[i]] < count[users[j]] })
	if len(res.Rows) != 1 || num(res.Rows[0][1]) != float64(count[users[0]]) {
		t.Errorf("rare 1 = %v, want a user with %d", res.Rows, count[users[0]])
	}
}

// TestExtractEvalWhere reads named captures out of the message, computes
// with them and filters on the computed value.
func TestExtractEvalWhere(t *testing.T) {
	s := openStore(t)
	res := run(t, s, `service:api | extract "user=<who> took <ms>ms" | eval secs = ms / 1000, big = amount * 2 | where secs >= 0.4 and who != "u3" | stats count() as n, max(secs) as worst, sum(big) by who | sort who`)
	type agg struct {
		n     int
		worst float64
		big   float64
	}
	want := map[string]*agg{}
	for _, e := range shop() {
		if e.ProjectID != 1 || e.Service != "api" {
			continue
		}
		f := strings.Fields(e.Message) // user=uN took Nms
		who := strings.TrimPrefix(f[0], "user=")
		v, _ := strconv.ParseFloat(strings.TrimSuffix(f[2], "ms"), 64)
		secs := v / 1000
		if secs < 0.4 || who == "u3" {
			continue
		}
		amount, _ := e.Attr("amount")
		a, _ := strconv.ParseFloat(amount, 64)
		w := want[who]
		if w == nil {
			w = &agg{}
			want[who] = w
		}
		w.n++
		w.worst = max(w.worst, secs)
		w.big += a * 2
	}
	if len(res.Rows) != len(want) || len(want) == 0 {
		t.Fatalf("%d groups, want %d: %v", len(res.Rows), len(want), res.Rows)
	}
	for _, row := range res.Rows {
		w := want[row[0].(string)]
		if w == nil || num(row[1]) != float64(w.n) || math.Abs(num(row[2])-w.worst) > 1e-9 || math.Abs(num(row[3])-w.big) > 1e-6 {
			t.Errorf("row %v, want %+v", row, w)
		}
	}
}

// TestRowsDedupFields: without an aggregation the answer is events
// (newest first); dedup keeps the newest of each user; fields chooses the
// columns; an attribute with quotes in its key is read as a value.
func TestRowsDedupFields(t *testing.T) {
	s := openStore(t)
	res := run(t, s, "| dedup user | fields user, status, ts, `it's \"odd\"` | sort user")
	if got := names(res); got != `user:string,status:number,ts:time,it's "odd":string` {
		t.Fatalf("columns %s", got)
	}
	newest := map[string]event.Event{}
	for _, e := range shop() {
		if e.ProjectID == 1 && e.TS >= newest[e.UserID].TS {
			newest[e.UserID] = e
		}
	}
	if len(res.Rows) != len(newest) {
		t.Fatalf("%d rows, want %d users", len(res.Rows), len(newest))
	}
	for i, row := range res.Rows {
		w := newest[row[0].(string)]
		if i > 0 && row[0].(string) < res.Rows[i-1][0].(string) {
			t.Errorf("not sorted by user: %v", res.Rows)
		}
		if row[2] != w.TS || num(row[1]) != float64(w.HTTPStatus) || row[3] != "x" {
			t.Errorf("row %v, want ts %d status %d", row, w.TS, w.HTTPStatus)
		}
	}
	res = run(t, s, `status:500 | limit 3`)
	if got := names(res); got != "ts:time,service:string,level:string,message:string" || len(res.Rows) != 3 {
		t.Fatalf("events answer: %s, %d rows", got, len(res.Rows))
	}
	if res.Rows[0][0].(int64) < res.Rows[1][0].(int64) {
		t.Errorf("events not newest first: %v", res.Rows)
	}
}

// TestErrorsPointAtThePipe: a mistake names the pipe and the column
// where it is, and what is wrong.
func TestErrorsPointAtThePipe(t *testing.T) {
	s := openStore(t)
	for _, c := range []struct{ q, want string }{
		{`level:error | stats p96(duration_ms)`, "pipe 1 (stats), column 21: expected an aggregate"},
		{`level:error | stats count() as n by endpoint | where duration_ms > 5`, `pipe 2 (where), column 54: no column "duration_ms" after the aggregation (there are: endpoint, n)`},
		{`| where lower(service)`, "pipe 1 (where), column 9: where needs a condition"},
		{`| eval x = frob(1)`, `pipe 1 (eval), column 12: unknown function "frob"`},
		{`| sort`, "pipe 1 (sort), column 7: expected a value"},
		{`| stats count() by bin(500ms)`, "gives 14400 buckets"},
		{`| limit 0`, "expected a positive whole number"},
		{`| extract "no captures"`, "no <name> to capture"},
		{`| bogus`, `pipe 1 (bogus), column 3: unknown pipe "bogus"`},
		{`| where contains(message, "a"`, `expected ")"`},
		{`level:( | stats count()`, "search: "},
		{`| stats count() by time, time`, `"time" twice`},
	} {
		p, err := pipes.Parse(c.q)
		if err == nil {
			_, err = pipes.Query{Pipeline: p, ProjectID: 1, From: t0, To: t0 + 7200*sec}.Run(context.Background(), s)
		}
		var pe *pipes.Error
		if err == nil || !errors.As(err, &pe) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one containing %q", c.q, err, c.want)
		}
	}
}

// TestQueryEndsWithItsContext: a pipeline runs under the request's
// context; an ended one stops it.
func TestQueryEndsWithItsContext(t *testing.T) {
	s := openStore(t)
	p, err := pipes.Parse(`| stats count() by user`)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := (pipes.Query{Pipeline: p, ProjectID: 1, From: t0, To: t0 + 7200*sec}).Run(ctx, s); err == nil {
		t.Fatal("a cancelled query answered")
	}
}

// TestEveryAggregate computes each aggregate over the payment service's
// events and compares it with the figure computed from the events.
func TestEveryAggregate(t *testing.T) {
	s := openStore(t)
	res := run(t, s, `service:payment-service | stats count() as n, sum(duration_ms) as sum, avg(duration_ms) as avg, min(duration_ms) as min, max(duration_ms) as max, p50(duration_ms) as p50, median(duration_ms) as med, p75(duration_ms) as p75, p90(duration_ms) as p90, p99(duration_ms) as p99, uniq(user) as users, rate() as rate`)
	var durs []float64
	users := map[string]bool{}
	sum := 0.0
	for _, e := range shop() {
		if e.ProjectID == 1 && e.Service == "payment-service" {
			durs = append(durs, e.DurationMS)
			sum += e.DurationMS
			users[e.UserID] = true
		}
	}
	sort.Float64s(durs)
	n := float64(len(durs))
	want := []float64{n, sum, sum / n, durs[0], durs[len(durs)-1], quantile(durs, 0.5), quantile(durs, 0.5),
		quantile(durs, 0.75), quantile(durs, 0.9), quantile(durs, 0.99), float64(len(users)), n / 7200}
	if len(res.Rows) != 1 || len(res.Rows[0]) != len(want) {
		t.Fatalf("rows %v", res.Rows)
	}
	for i, w := range want {
		if got := num(res.Rows[0][i]); math.Abs(got-w) > 1e-9*math.Max(1, math.Abs(w)) {
			t.Errorf("%s = %v, want %v", res.Columns[i].Name, got, w)
		}
	}
}
