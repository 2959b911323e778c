package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.26.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/lore-dev/lore/internal/sim"
)

// timeoutError is an error type the OpenTelemetry SDK records by its Go
// type name.
type timeoutError struct{ ms int }

func (e *timeoutError) Error() string { return fmt.Sprintf("query timed out after %dms", e.ms) }

// issueTotals is GET /api/v1/issues's totals.
type issueTotals struct {
	issueList
	Total  int   `json:"total"`
	Events int64 `json:"events"`
}

// TestEveryErrorIsAnIssue: error-level logs (with or without an error type
// or a stack) and failed spans that recorded an exception (the
// OpenTelemetry SDK's RecordError) are grouped into issues beside SDK
// exceptions, by error type, message template and service; a span that
// only names its error type leaves the issue to its error log (one failure,
// one event); the issue workflow works for them (detail, status,
// regression, issue monitors); a project setting chooses the levels.
func TestEveryErrorIsAnIssue(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	ctx := context.Background()

	// Failed spans through the OpenTelemetry SDK's OTLP/HTTP exporter.
	texp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(base+"/v1/traces"),
		otlptracehttp.WithHeaders(map[string]string{"Authorization": "Bearer " + ingestKey}))
	if err != nil {
		t.Fatal(err)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(texp),
		sdktrace.WithResource(resource.NewWithAttributes(semconv.SchemaURL, semconv.ServiceName("inventory"), semconv.ServiceVersion("2.3.0"))))
	tracer := tp.Tracer("e2e")
	var traceID string
	for i, ms := range []int{5000, 4100, 5000} {
		_, span := tracer.Start(ctx, "SELECT stock", trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("enduser.id", fmt.Sprintf("user_%d", i))))
		err := &timeoutError{ms}
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.End()
		traceID = span.SpanContext().TraceID().String()
	}
	// A failed span that names its error only by error.type, recording no
	// exception, with an error log of the same failure in it: the log is
	// the issue's event, once.
	sctx, span := tracer.Start(ctx, "GET /stock", trace.WithSpanKind(trace.SpanKindServer),
		trace.WithAttributes(attribute.String("error.type", "UpstreamError"), attribute.Int("http.response.status_code", 502)))
	span.SetStatus(codes.Error, "inventory unavailable")
	span.End()
	upstream := trace.SpanContextFromContext(sctx)
	// A failed span that names no error stays a span.
	_, span = tracer.Start(ctx, "GET /health")
	span.SetStatus(codes.Error, "unhealthy")
	span.End()
	if err := tp.Shutdown(ctx); err != nil {
		t.Fatalf("trace export: %v", err)
	}

	// Logs through POST /api/v1/ingest.
	now := time.Now().UTC().Add(-time.Minute)
	ts := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	var lines []string
	for i, shard := range []int{3, 7, 11} {
		lines = append(lines, fmt.Sprintf(`{"ts":%q,"level":"error","service":"gateway","msg":"circuit breaker open for inventory after %d failures","error.type":"CircuitBreakerOpen","user_id":"user_%d"}`, ts(time.Duration(i)*time.Second), 5+i, i))
		// No error type, no stack: still an error, grouped by its template.
		lines = append(lines, fmt.Sprintf(`{"ts":%q,"level":"error","service":"cart","msg":"cache miss storm on shard %d"}`, ts(time.Duration(i)*time.Second), shard))
	}
	lines = append(lines, fmt.Sprintf(`{"ts":%q,"level":"error","service":"inventory","msg":"inventory unavailable: upstream reset","error.type":"UpstreamError","trace_id":%q,"span_id":%q}`,
		ts(3*time.Second), upstream.TraceID(), upstream.SpanID()))
	// The same message from another service is another issue.
	lines = append(lines, fmt.Sprintf(`{"ts":%q,"level":"fatal","service":"search","msg":"cache miss storm on shard 2"}`, ts(4*time.Second)))
	// A warning is not an issue by default.
	lines = append(lines, fmt.Sprintf(`{"ts":%q,"level":"warn","service":"cart","msg":"disk 91%% full"}`, ts(5*time.Second)))
	ingestLines(t, base, "/api/v1/ingest", "application/x-ndjson", strings.Join(lines, "\n"))
	flush(t, a)

	all := url.Values{"status": {"all"}, "from": {"now-1h"}, "to": {"now+1h"}}
	var l issueTotals
	getJSON(t, base, "/api/v1/issues", all, &l)
	byTitle := map[string]issueSummary{}
	var titles []string
	for _, is := range l.Issues {
		byTitle[is.Title] = is
		titles = append(titles, fmt.Sprintf("%s (%d)", is.Title, is.Count))
	}
	want := map[string]int64{
		"*e2e.timeoutError: query timed out after 5000ms":                         3, // the SDK names the type by its Go type
		"UpstreamError: inventory unavailable: upstream reset":                    1,
		"CircuitBreakerOpen: circuit breaker open for inventory after 5 failures": 3,
		"cache miss storm on shard 3":                                             3,
		"cache miss storm on shard 2":                                             1,
	}
	if len(l.Issues) != len(want) || l.Total != len(want) {
		t.Fatalf("issues %v (total %d), want %d", titles, l.Total, len(want))
	}
	var sum int64
	for title, n := range want {
		is, ok := byTitle[title]
		if !ok {
			// Titles name the latest or the first event: match on the
			// statement.
			for tt, x := range byTitle {
				if strings.HasPrefix(tt, title[:strings.LastIndexAny(title, " ")]) && x.Count == n {
					is, ok = x, true
				}
			}
		}
		if !ok || is.Count != n {
			t.Errorf("issue %q: %+v; all: %v", title, is, titles)
		}
		sum += n
	}
	if l.Events != sum {
		t.Errorf("events %d, want %d", l.Events, sum)
	}
	if r := search(t, base, "kind:span", "now-1h", "now+1h", 100); len(r.Events) != 5 {
		t.Errorf("the spans stay in their traces: %d spans", len(r.Events))
	}
	if r := search(t, base, "kind:log level:warn", "now-1h", "now+1h", 10); len(r.Events) != 1 {
		t.Errorf("the warning is still a log: %d", len(r.Events))
	}

	// The detail of a span's issue: events, users, release, related trace.
	var timeout issueSummary
	for _, is := range l.Issues {
		if strings.Contains(is.Title, "timed out") {
			timeout = is
		}
	}
	var d issueDetail
	getJSON(t, base, fmt.Sprintf("/api/v1/issues/%d", timeout.ID), url.Values{"from": {"now-1h"}, "to": {"now+1h"}}, &d)
	if d.Users != 3 || d.LastRelease != "2.3.0" || d.LatestEvent == nil || d.LatestEvent.TraceID != traceID || d.Related.TraceID != traceID {
		t.Errorf("span issue detail: users %d, release %q, latest %+v, related %s (want trace %s)", d.Users, d.LastRelease, d.LatestEvent, d.Related.TraceID, traceID)
	}
	var evs struct {
		Events []struct {
			Message string `json:"message"`
		} `json:"events"`
	}
	getJSON(t, base, fmt.Sprintf("/api/v1/issues/%d/events", timeout.ID), url.Values{"from": {"now-1h"}, "to": {"now+1h"}}, &evs)
	if len(evs.Events) != 3 {
		t.Errorf("span issue events: %+v", evs.Events)
	}

	// Status and regression on a log's issue; an issue monitor sees it.
	cb := byTitle["CircuitBreakerOpen: circuit breaker open for inventory after 5 failures"]
	if cb.ID == 0 {
		for _, is := range l.Issues {
			if strings.HasPrefix(is.Title, "CircuitBreakerOpen") {
				cb = is
			}
		}
	}
	if code, b := patchIssue(t, base, cb.ID, `{"status":"resolved"}`); code != 200 {
		t.Fatalf("resolve: %d %s", code, b)
	}
	ingestLines(t, base, "/api/v1/ingest", "application/x-ndjson",
		fmt.Sprintf(`{"ts":%q,"level":"error","service":"gateway","release":"gw@9","msg":"circuit breaker open for inventory after 12 failures","error.type":"CircuitBreakerOpen"}`, time.Now().UTC().Format(time.RFC3339Nano)))
	flush(t, a)
	var after issueTotals
	getJSON(t, base, "/api/v1/issues", url.Values{"from": {"now-1h"}, "to": {"now+1h"}}, &after)
	regressed := false
	for _, is := range after.Issues {
		if is.ID == cb.ID {
			regressed = is.Status == "regressed" && is.RegressedIn == "gw@9"
		}
	}
	if !regressed {
		t.Errorf("the log's issue did not regress: %+v", after.Issues)
	}
	var mon monitorJSON
	monitorsCall(t, http.MethodPost, base+"/api/v1/monitors", `{"name":"new issues","kind":"issue","threshold":4,"window":"1h"}`, &mon)
	monitorsCall(t, http.MethodPost, fmt.Sprintf("%s/api/v1/monitors/%d/evaluate", base, mon.ID), "", &mon)
	if mon.State != "alert" || mon.Value == nil || *mon.Value < 5 {
		t.Errorf("issue monitor = %+v, want alert on 5 new and 1 regressed", mon)
	}

	// The project's levels: warnings become issues too.
	if code, b := putSettings(t, base, `{"levels":["warn","error","fatal"]}`); code != 200 {
		t.Fatalf("settings: %d %s", code, b)
	}
	if code, _ := putSettings(t, base, `{"levels":["loud"]}`); code != 400 {
		t.Errorf("an unknown level accepted: %d", code)
	}
	ingestLines(t, base, "/api/v1/ingest", "application/x-ndjson",
		fmt.Sprintf(`{"ts":%q,"level":"warn","service":"cart","msg":"disk 93%% full"}`, time.Now().UTC().Format(time.RFC3339Nano)))
	flush(t, a)
	var withWarn issueTotals
	getJSON(t, base, "/api/v1/issues", all, &withWarn)
	found := false
	for _, is := range withWarn.Issues {
		found = found || strings.HasPrefix(is.Title, "disk") && is.Level == "warn" && is.Count == 1
	}
	if !found || withWarn.Total != len(want)+1 {
		t.Errorf("with warn as an issue level: %+v", withWarn.Issues)
	}
}

// TestOverviewAgreesWithIssues runs the simulated shop through an hour with
// inventory's database slowing (timeouts, a circuit breaker, upstream
// errors: logs, failed spans and sentry-go exceptions) and checks that the
// numbers the Overview shows — errors (the histogram by kind, as the page
// asks for it) and open issues — are what the Issues page lists for the
// same range, and that every error type the story cards name has an issue.
func TestOverviewAgreesWithIssues(t *testing.T) {
	a := startApp(t)
	day := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	from, to := day.Add(14*time.Hour), day.Add(15*time.Hour)
	shop := sim.New(sim.Config{Seed: 5, Start: from, SessionsPerDay: 6000,
		Incidents: []sim.Incident{sim.SlowDB{At: from.Add(10 * time.Minute), For: 30 * time.Minute}}})
	sink, err := sim.NewSentrySink(sim.NewHTTPSink(a.URL(), ingestKey, nil), sentryDSN(a.URL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := shop.Backfill(ctx, from, to, sink, nil); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	sink.Close()
	flush(t, a)
	rng := url.Values{"from": {from.Format(time.RFC3339)}, "to": {to.Format(time.RFC3339)}}

	// The Overview: GET /api/v1/histogram?by=kind, errors = the error bucket.
	var h struct {
		Buckets []struct {
			Count int64            `json:"count"`
			By    map[string]int64 `json:"by"`
		} `json:"buckets"`
	}
	q := url.Values{"from": rng["from"], "to": rng["to"], "by": {"kind"}}
	getJSON(t, a.URL(), "/api/v1/histogram", q, &h)
	var overviewErrors int64
	for _, b := range h.Buckets {
		overviewErrors += b.By["error"]
	}
	var open issueTotals
	getJSON(t, a.URL(), "/api/v1/issues", url.Values{"from": rng["from"], "to": rng["to"], "status": {"unresolved"}}, &open)

	// The Issues page: every issue in the range, all statuses, every page.
	var all issueTotals
	getJSON(t, a.URL(), "/api/v1/issues", url.Values{"from": rng["from"], "to": rng["to"], "status": {"all"}, "limit": {"1000"}}, &all)
	var listed int64
	types := map[string]bool{}
	for _, is := range all.Issues {
		listed += is.Count
		if typ, _, ok := strings.Cut(is.Title, ":"); ok {
			types[typ] = true
		}
	}
	if overviewErrors == 0 || len(all.Issues) < 3 {
		t.Fatalf("the incident made %d errors, %d issues", overviewErrors, len(all.Issues))
	}
	if overviewErrors != listed || overviewErrors != all.Events {
		t.Errorf("the Overview counts %d errors; the Issues page lists %d events in %d issues (events %d)", overviewErrors, listed, len(all.Issues), all.Events)
	}
	if open.Total != len(all.Issues) || len(open.Issues) != open.Total {
		t.Errorf("open issues: the Overview shows %d, the Issues page lists %d unresolved of %d", open.Total, len(open.Issues), len(all.Issues))
	}
	// No error-level log is left outside the issues.
	if r := search(t, a.URL(), "kind:log (level:error OR level:fatal)", rng["from"][0], rng["to"][0], 10); len(r.Events) != 0 {
		t.Errorf("error logs outside issues: %+v", r.Events)
	}
	for _, typ := range []string{"TimeoutError", "CircuitBreakerOpen", "UpstreamError"} {
		if !types[typ] {
			t.Errorf("no issue for the incident's %s; issue types %v", typ, types)
		}
	}
}
