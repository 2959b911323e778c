package sim

import (
	"math"
	"strings"
	"testing"
	"time"
)

func TestThrottleTruthMatchesEvents(t *testing.T) {
	th := Throttle{At: at(10, 0), For: time.Hour}
	s, d := backfill(t, Config{Seed: 11, SessionsPerDay: 12000, Incidents: []Incident{th}}, at(9, 30), at(12, 0))
	type txn struct{ throttled, retries, succeeded, failed, completed bool }
	var throttled, retries int
	txns := map[string]*txn{}
	get := func(trace string) *txn {
		if txns[trace] == nil {
			txns[trace] = &txn{}
		}
		return txns[trace]
	}
	wantDelay := map[int]string{1: "60000", 2: "300000", 3: "900000"}
	perTrace := map[string]int{}
	for _, e := range d.sorted() {
		switch {
		case e.name == "payment_gateway_response" && e.status == 429:
			throttled++
			get(e.trace).throttled = true
			if e.ts < th.At.UnixMicro() || e.ts > th.At.Add(th.For+time.Second).UnixMicro() {
				t.Fatalf("429 outside the window: %v", time.UnixMicro(e.ts).UTC())
			}
			if e.errType != "RateLimited" || e.service != svcPayment {
				t.Fatalf("429 response without RateLimited: %+v", e)
			}
		case e.name == "payment_gateway_retry":
			perTrace[e.trace]++
			if e.retry != perTrace[e.trace] || e.attrs["retry.delay_ms"] != wantDelay[e.retry] {
				t.Fatalf("retry %d of trace %s: %+v", perTrace[e.trace], e.trace, e)
			}
		case e.name == "payment_succeeded":
			get(e.trace).succeeded = true
		case e.name == "payment_failed":
			get(e.trace).failed = true
			if e.level != "error" {
				t.Fatalf("payment_failed not at level error: %+v", e)
			}
		case e.name == "Order Completed":
			get(e.trace).completed = true
		}
	}
	var affected, succeeded, failed, abandoned int
	for trace, x := range txns {
		if !x.throttled {
			continue
		}
		affected++
		retries += perTrace[trace]
		if x.succeeded {
			succeeded++
		} else if x.failed {
			failed++
		}
		if (x.succeeded || x.failed) && !x.completed {
			abandoned++
		}
	}
	got := s.Truth().Throttle
	if got == nil {
		t.Fatal("no throttle truth")
	}
	if got.ThrottledAttempts != throttled || got.Transactions != affected || got.Retries != retries ||
		got.Succeeded != succeeded || got.Failed != failed || got.Abandoned != abandoned {
		t.Fatalf("truth %+v; events: %d throttled, %d affected, %d retries, %d succeeded, %d failed, %d abandoned",
			*got, throttled, affected, retries, succeeded, failed, abandoned)
	}
	if math.Abs(got.AvgRetries-float64(retries)/float64(affected)) > 1e-9 {
		t.Fatalf("AvgRetries %v, want %v", got.AvgRetries, float64(retries)/float64(affected))
	}
	if !got.From.Equal(th.At) || !got.To.Equal(th.At.Add(th.For)) {
		t.Fatalf("window %v-%v", got.From, got.To)
	}
	// The story the incident must tell: many affected, most succeed in the
	// end, some fail for good, some users give up.
	if affected < 20 || got.SucceededFraction < 0.5 || failed == 0 || abandoned == 0 || succeeded+failed != affected {
		t.Fatalf("implausible throttle: %+v", *got)
	}
}

func TestSlowDBCascadeOnsets(t *testing.T) {
	db := SlowDB{At: at(10, 0), For: time.Hour}
	s, d := backfill(t, Config{Seed: 12, SessionsPerDay: 12000, Incidents: []Incident{db}}, at(9, 40), at(10, 50))
	first := map[string]int64{}
	see := func(signal string, e tev) {
		if _, ok := first[signal]; !ok {
			first[signal] = e.ts
		}
	}
	for _, e := range d.sorted() {
		switch {
		case e.service == svcInv && e.name == "db_query" && e.level == "warn":
			see("slow_query", e)
		case e.service == svcInv && e.errType == "TimeoutError" && e.kind == "log" && e.name == "db_query":
			see("query_timeout", e)
		case e.service == svcCart && e.name == "inventory_call_failed":
			see("upstream_error", e)
		case e.service == svcGateway && e.name == "upstream_timeout":
			see("upstream_timeout", e)
		case e.service == svcGateway && e.msg == "circuit breaker open for inventory":
			see("circuit_breaker_open", e)
		}
	}
	got := s.Truth().SlowDB
	wantOrder := []string{"slow_query", "query_timeout", "upstream_error", "upstream_timeout", "circuit_breaker_open"}
	if len(got.Onsets) != len(wantOrder) {
		t.Fatalf("onsets %+v", got.Onsets)
	}
	prev := db.At.UnixMicro()
	for i, o := range got.Onsets {
		if o.Signal != wantOrder[i] {
			t.Fatalf("onset %d is %s, want %s: %+v", i, o.Signal, wantOrder[i], got.Onsets)
		}
		ts, ok := first[o.Signal]
		if !ok || time.UnixMicro(ts).Sub(o.At).Abs() > time.Millisecond {
			t.Fatalf("%s: truth says %v, events say %v", o.Signal, o.At, time.UnixMicro(ts).UTC())
		}
		if ts < prev {
			t.Fatalf("%s at %v precedes the previous onset", o.Signal, o.At)
		}
		prev = ts
	}
}

func TestBadReleaseErrorsOnlyAfterRelease(t *testing.T) {
	br := BadRelease{At: at(10, 30)}
	s, d := backfill(t, Config{Seed: 13, SessionsPerDay: 8000, Incidents: []Incident{br}}, at(10, 0), at(11, 0))
	var count int
	var firstSeen int64
	oldRelease := 0
	for _, e := range d.sorted() {
		if e.service != svcCatalog {
			continue
		}
		if e.ts < br.At.UnixMicro() {
			if e.release != "v2.3.1" {
				t.Fatalf("catalog event before the release with release %q", e.release)
			}
			oldRelease++
		} else if e.release != "v2.4.0" {
			t.Fatalf("catalog event after the release with release %q", e.release)
		}
		if e.errType != "TypeError" {
			continue
		}
		if e.ts < br.At.UnixMicro() {
			t.Fatalf("TypeError before the release: %+v", e)
		}
		if e.kind != "log" || e.name != "unhandled_exception" {
			continue // the request log and the span of the failed request
		}
		if e.level != "error" || e.endpoint != "/api/products/{id}" || !strings.Contains(e.attrs["error.stack"], "at priceWithDiscount") {
			t.Fatalf("bad release error lacks level, endpoint or stack: %+v", e)
		}
		if count == 0 {
			firstSeen = e.ts
		}
		count++
	}
	got := s.Truth().BadRelease
	if got.Count != count || count < 10 || got.FirstSeen.Sub(time.UnixMicro(firstSeen)).Abs() > time.Millisecond {
		t.Fatalf("truth %+v; events: %d errors, first at %v", *got, count, time.UnixMicro(firstSeen).UTC())
	}
	if got.Release != "v2.4.0" || got.Service != "catalog" || !got.ReleasedAt.Equal(br.At) || oldRelease == 0 {
		t.Fatalf("truth %+v", *got)
	}
}

func TestNoIncidentsMeansNoTruth(t *testing.T) {
	s, _ := backfill(t, Config{Seed: 14}, at(10, 0), at(10, 10))
	if tr := s.Truth(); tr.Throttle != nil || tr.SlowDB != nil || tr.BadRelease != nil {
		t.Fatalf("truth without incidents: %+v", tr)
	}
}
