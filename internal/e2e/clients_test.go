package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/app"
	"github.com/lore-dev/lore/internal/event"
)

// TestClients drives the clients people run, unmodified and pinned in
// scripts/clients/package-lock.json, against a whole Lore, each with a
// realistic script, and checks what a user of Lore then sees: on the
// server @sentry/node, posthog-node, @segment/analytics-node, the
// OpenTelemetry Node SDK's OTLP/HTTP exporters (JSON and protobuf),
// winston's Http transport, pino and Debian's python3-sentry-sdk; in
// headless Chromium, from another origin, a shop bundled with
// @sentry/browser, posthog-js and @segment/analytics-next, Lore's SDK
// loaded after them from /sdk.js, its source maps uploaded with
// `lore sourcemaps upload`, and Lore's SDK installed from the server's npm
// package and bundled. It runs under `make clients-test`
// (scripts/clients-test.sh installs the clients, Chromium and the Python
// SDK); plain `go test` skips it.
func TestClients(t *testing.T) {
	if os.Getenv("LORE_CLIENTS_TEST") == "" {
		t.Skip("set LORE_CLIENTS_TEST=1 (make clients-test) to drive the real clients")
	}
	root, _ := filepath.Abs("../..")
	c := &clients{dir: filepath.Join(root, "scripts/clients"), a: startClientsApp(t), run: "t1"}
	c.base = c.a.URL()
	t.Run("sentry-node", c.sentryNode)
	t.Run("opentelemetry-node", c.otelNode)
	t.Run("posthog-node", c.posthogNode)
	t.Run("segment-node", c.segmentNode)
	t.Run("winston-pino", c.loggers)
	t.Run("sentry-python", c.sentryPython)
	t.Run("browser", c.browser)
}

type clients struct {
	dir, base string
	run       string // in the ids and messages the scripts make
	a         *app.App
}

// An ingest key as Lore generates them: Sentry's SDKs refuse a DSN whose
// key is not a word ([A-Za-z0-9_]), such as the other tests' "e2e-ingest".
const clientsIngestKey = "lore_in_e2eclients"

// startClientsApp runs a whole Lore in-process on a free loopback port,
// with a DSN-safe ingest key (and the tests' read key).
func startClientsApp(t *testing.T) *app.App {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{DataDir: t.TempDir(), Addr: "127.0.0.1:0", IngestKey: clientsIngestKey, ReadKey: readKey, AdminKey: adminKey,
		Log: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return a
}

func (c *clients) env() []string {
	return append(os.Environ(), "LORE_URL="+c.base, "LORE_KEY="+clientsIngestKey, "RUN="+c.run)
}

// script runs a client script and decodes the JSON its last line prints.
func (c *clients) script(t *testing.T, out any, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var cmd *exec.Cmd
	if strings.HasSuffix(name, ".py") {
		cmd = exec.CommandContext(ctx, "/usr/bin/python3", append([]string{name}, args...)...)
	} else {
		cmd = exec.CommandContext(ctx, "node", append([]string{name}, args...)...)
	}
	cmd.Dir, cmd.Env = c.dir, c.env()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %v: %v\n%s\n%s", name, args, err, stdout.String(), stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if out != nil {
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), out); err != nil {
			t.Fatalf("%s: cannot read its summary %q: %v\n%s", name, lines[len(lines)-1], err, stderr.String())
		}
	}
}

func (c *clients) flush(t *testing.T) {
	t.Helper()
	flush(t, c.a)
}

// journey reads a journey by trace, user or session.
func (c *clients) journey(t *testing.T, by, id string) journeyResult {
	t.Helper()
	var j journeyResult
	getJSON(t, c.base, "/api/v1/journeys/"+by+"/"+url.PathEscape(id), url.Values{"from": {"now-1h"}, "to": {"now+1h"}}, &j)
	return j
}

// issue finds an issue by title (a prefix when it ends in "*") and
// culprit ("" for any).
func (c *clients) issue(t *testing.T, title, culprit string) issueSummary {
	t.Helper()
	l := listIssues(t, c.base, url.Values{"from": {"now-1h"}})
	for _, is := range l.Issues {
		match := is.Title == title
		if p, ok := strings.CutSuffix(title, "*"); ok {
			match = strings.HasPrefix(is.Title, p)
		}
		if match && (culprit == "" || is.Culprit == culprit) {
			return is
		}
	}
	var seen []string
	for _, is := range l.Issues {
		seen = append(seen, is.Title+" | "+is.Culprit)
	}
	t.Fatalf("no issue %q (culprit %q) among:\n%s", title, culprit, strings.Join(seen, "\n"))
	return issueSummary{}
}

// issueDetail reads an issue's tag breakdown and latest event.
func (c *clients) issueDetail(t *testing.T, id int64) (tags map[string][]struct{ Value string }, latest map[string]json.RawMessage) {
	t.Helper()
	var d struct {
		Tags        map[string][]struct{ Value string } `json:"tags"`
		LatestEvent map[string]json.RawMessage          `json:"latest_event"`
	}
	getJSON(t, c.base, fmt.Sprintf("/api/v1/issues/%d", id), url.Values{"from": {"now-1h"}}, &d)
	return d.Tags, d.LatestEvent
}

func hasTag(tags map[string][]struct{ Value string }, k, v string) bool {
	for _, x := range tags[k] {
		if x.Value == v {
			return true
		}
	}
	return false
}

func names(evs searchResult) []string {
	var out []string
	for _, e := range evs.Events {
		out = append(out, e.Name)
	}
	return out
}

func (c *clients) metrics(t *testing.T) string {
	t.Helper()
	resp, err := http.Get(c.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// funnel counts the persons at each step.
func (c *clients) funnel(t *testing.T, steps ...string) []int64 {
	t.Helper()
	var body struct {
		Steps []map[string]string `json:"steps"`
		From  string              `json:"from"`
	}
	body.From = "now-1h"
	for _, s := range steps {
		body.Steps = append(body.Steps, map[string]string{"event": s})
	}
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+"/api/v1/funnels", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+adminKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var res struct {
		Steps []struct {
			Persons int64 `json:"persons"`
		} `json:"steps"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&res); err != nil {
		t.Fatal(err)
	}
	var out []int64
	for _, s := range res.Steps {
		out = append(out, s.Persons)
	}
	return out
}

// sentryNode: @sentry/node 11 streams spans (v2 span items); its error
// inside a callback, tags, mechanism, logs in their span, and a request
// that only warned.
func (c *clients) sentryNode(t *testing.T) {
	c.script(t, nil, "server-sentry.mjs")
	c.flush(t)
	is := c.issue(t, "TypeError: Cannot read properties of null (reading 'amount')", "server-sentry in computeTotal")
	tags, latest := c.issueDetail(t, is.ID)
	if !hasTag(tags, "plan", "pro") || !hasTag(tags, "handled", "yes") || !hasTag(tags, "service", "checkout") || !hasTag(tags, "endpoint", "/checkout") {
		t.Errorf("tags %v", tags)
	}
	var trace string
	json.Unmarshal(latest["trace_id"], &trace)
	spans := search(t, c.base, "kind:span service:checkout trace_id:"+trace, "now-1h", "now+1h", 50)
	var server, db *event.SpanID
	for i := range spans.Events {
		e := &spans.Events[i]
		id, _ := event.ParseSpanID(e.SpanID)
		switch e.Attributes["span.op"] {
		case "http.server":
			server = &id
			if e.HTTPStatus != 500 || e.Attributes["segment"] != "true" {
				t.Errorf("server span %+v", e)
			}
		case "db.query":
			db = &id
		}
	}
	if server == nil || db == nil {
		t.Fatalf("the request's spans are not in its trace: %v", names(spans))
	}
	logs := search(t, c.base, `kind:log "checkout started"`, "now-1h", "now+1h", 5)
	if len(logs.Events) != 1 || logs.Events[0].TraceID != trace || logs.Events[0].SpanID != server.String() {
		t.Errorf("log not in the server span: %+v (server span %s)", logs.Events, server)
	}
	if j := c.journey(t, "trace", trace); j.Summary.Outcome != "failed" {
		t.Errorf("the failed request's outcome %q", j.Summary.Outcome)
	}
	warn := c.issue(t, "stock running low "+c.run, "")
	if warn.Level != "warning" && warn.Level != "warn" {
		t.Errorf("warning issue level %q", warn.Level)
	}
	_, wl := c.issueDetail(t, warn.ID)
	var wtrace string
	json.Unmarshal(wl["trace_id"], &wtrace)
	if j := c.journey(t, "trace", wtrace); j.Summary.Outcome != "succeeded" || j.Summary.Errors != 0 {
		t.Errorf("a request that only warned: outcome %q, %d errors", j.Summary.Outcome, j.Summary.Errors)
	}
	if m := c.metrics(t); !strings.Contains(m, `lore_ingest_items_unstored_total{protocol="sentry",type="sessions"}`) {
		t.Error("sessions not counted as unstored")
	}
}

// otelNode: the OpenTelemetry Node SDK's OTLP/HTTP exporters, JSON and
// protobuf: spans and logs of one trace, and the exception as an error.
func (c *clients) otelNode(t *testing.T) {
	for _, proto := range []string{"json", "proto"} {
		var out struct{ TraceID, Service string }
		c.script(t, &out, "server-otel.mjs", proto)
		c.flush(t)
		j := c.journey(t, "trace", out.TraceID)
		kinds := map[string]int{}
		for _, e := range j.Events {
			kinds[e.Kind]++
		}
		if kinds["span"] != 2 || kinds["log"] < 1 || kinds["error"] < 1 || !slices.Contains(j.Summary.Services, out.Service) {
			t.Errorf("%s: trace %s holds %v, services %v", proto, out.TraceID, kinds, j.Summary.Services)
		}
	}
}

// posthogNode: server-side identity (a distinct id sent as a user id before
// identify, alias in either order), funnel steps in one millisecond, and
// captureException's $exception_list.
func (c *clients) posthogNode(t *testing.T) {
	var ids struct{ Anon, User, Anon2, User2 string }
	c.script(t, &ids, "server-posthog.mjs")
	c.flush(t)
	for _, id := range []string{ids.User, ids.Anon} {
		if got := names(c.journey(t, "user", id).searchResult); !slices.Contains(got, "Product Viewed") || !slices.Contains(got, "Order Completed") {
			t.Errorf("journey of %s lacks the anonymous or the identified events: %v", id, got)
		}
	}
	if got := names(c.journey(t, "user", ids.User2).searchResult); !slices.Contains(got, "Product Viewed") || !slices.Contains(got, "Checkout Started") {
		t.Errorf("journey after an alias the other way round: %v", got)
	}
	if got := c.funnel(t, "Product Viewed", "Checkout Started", "Order Completed"); !slices.Equal(got, []int64{2, 2, 1}) {
		t.Errorf("funnel of steps stamped in one millisecond = %v, want [2 2 1]", got)
	}
	typeErr := c.issue(t, "TypeError: Cannot read properties of null (reading 'amount')", "server-posthog in computeTotal")
	syntaxErr := c.issue(t, "SyntaxError: Expected property name*", "")
	if typeErr.Fingerprint == syntaxErr.Fingerprint {
		t.Error("two exceptions share one fingerprint")
	}
	if _, latest := c.issueDetail(t, typeErr.ID); !strings.Contains(string(latest["stacktrace"]), "computeTotal") {
		t.Errorf("no stack: %s", latest["stacktrace"])
	}
}

// segmentNode: @segment/analytics-node with the write key as the basic-auth
// user; the person's journey from the anonymous page view.
func (c *clients) segmentNode(t *testing.T) {
	var ids struct{ Anon, User string }
	c.script(t, &ids, "server-segment.mjs")
	c.flush(t)
	if got := names(c.journey(t, "user", ids.User).searchResult); !slices.Equal(got, []string{"Pricing", "Product Viewed", "$identify", "Order Completed"}) {
		t.Errorf("journey of %s = %v", ids.User, got)
	}
}

// loggers: winston's Http transport (an error logged with only its stack)
// and pino's NDJSON.
func (c *clients) loggers(t *testing.T) {
	c.script(t, nil, "server-loggers.mjs")
	c.flush(t)
	c.issue(t, "TypeError: Cannot read properties of null (reading 'amount')", "server-loggers.mjs in computeTotal")
	if r := search(t, c.base, "service:orders-winston level:error", "now-1h", "now+1h", 5); len(r.Events) != 1 || r.Events[0].Attributes["culprit"] == "" {
		t.Errorf("winston error: %+v", r.Events)
	}
	if r := search(t, c.base, "service:orders-pino", "now-1h", "now+1h", 5); len(r.Events) != 2 {
		t.Errorf("pino lines: %+v", r.Events)
	}
}

// sentryPython: Debian's python3-sentry-sdk without a release: the service
// is the SDK's platform; the transaction's spans and the error share the
// trace.
func (c *clients) sentryPython(t *testing.T) {
	var out struct{ TraceID string }
	c.script(t, &out, "sentry_python.py")
	c.flush(t)
	is := c.issue(t, "KeyError: 'inv-"+c.run+"'", "__main__ in load_invoice")
	if tags, _ := c.issueDetail(t, is.ID); !hasTag(tags, "tenant", "acme") || !hasTag(tags, "service", "python") {
		t.Errorf("tags %v", tags)
	}
	j := c.journey(t, "trace", out.TraceID)
	if got := names(j.searchResult); !slices.Contains(got, "send-invoices") || !slices.Contains(got, "SELECT * FROM invoices") || j.Summary.Errors != 1 {
		t.Errorf("trace %s: %v, %d errors", out.TraceID, got, j.Summary.Errors)
	}
}

// browser: the shop in Chromium from another origin.
func (c *clients) browser(t *testing.T) {
	project := t.TempDir()
	c.script(t, nil, "browser/drive.mjs", "build", project)
	release := "web@" + c.run
	if out, errOut, code := runCLI(t, "sourcemaps", "upload", filepath.Join(project, "dist"), "--release", release, "--url", c.base, "--key", adminKey); code != 0 {
		t.Fatalf("sourcemaps upload: %s %s", out, errOut)
	}
	backend, payTraces := c.startBackend(t, filepath.Join(project, "dist"))
	var drive struct {
		ConsoleErrors  []string `json:"consoleErrors"`
		FailedRequests []string `json:"failedRequests"`
		ReplayStarted  bool     `json:"replayStarted"`
		ReplayStopped  bool     `json:"replayStopped"`
	}
	c.script(t, &drive, "browser/drive.mjs", "run", backend+"/")
	c.flush(t)
	if len(drive.FailedRequests) > 0 {
		t.Errorf("requests to Lore failed (CORS or errors): %v", drive.FailedRequests)
	}
	for _, e := range drive.ConsoleErrors {
		if strings.Contains(e, "CORS") || strings.Contains(e, "Access-Control") {
			t.Errorf("console: %s", e)
		}
	}
	if !drive.ReplayStarted || !drive.ReplayStopped {
		t.Errorf("Sentry's replay started %v, stopped after Lore's rate limit %v", drive.ReplayStarted, drive.ReplayStopped)
	}

	// One trace id per request, whichever SDK initialised first: the
	// backend saw Lore's traceparent and Sentry's sentry-trace with the
	// same trace. The first visit's trace holds the browser's spans, the
	// backend's span and log, Lore's click event and Sentry's error.
	var pay payHeaders
	for i, order := range []string{"Sentry first", "Lore first"} {
		var p payHeaders
		select {
		case p = <-payTraces:
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: the backend saw no payment", order)
		}
		tp, _, ok1 := event.ParseTraceparent(p.Traceparent)
		st, _, ok2 := event.ParseSentryTrace(p.SentryTrace)
		if !ok1 || !ok2 || tp != st {
			t.Errorf("%s: the backend got traceparent %q and sentry-trace %q: not one trace", order, p.Traceparent, p.SentryTrace)
		}
		if i == 0 {
			pay = p
		}
	}
	tp, _, _ := event.ParseTraceparent(pay.Traceparent)
	j := c.journey(t, "trace", tp.String())
	got := map[string]bool{}
	for _, e := range j.Events {
		got[e.Service+"/"+e.Kind+"/"+firstNonEmpty(e.Attributes["span.op"], e.Name)] = true
	}
	for _, want := range []string{"web/span/pageload", "web/span/http.client", "checkout/span/http.server", "shop-backend/log/", "browser/event/Pay Clicked", "web/error/"} {
		if !got[want] {
			t.Errorf("the pay request's trace lacks %s: %v", want, got)
		}
	}

	// The minified error, source-mapped: original function and file,
	// browser and OS from the User-Agent, the custom tag.
	is := c.issue(t, "TypeError: Cannot read properties of null (reading 'amount')", "orders.js in computeTotal")
	tags, latest := c.issueDetail(t, is.ID)
	for k, v := range map[string]string{"browser": "Chrome", "os": "macOS", "flow": "checkout", "handled": "yes", "release": release} {
		if !hasTag(tags, k, v) {
			t.Errorf("tag %s=%s missing: %v", k, v, tags)
		}
	}
	if s := string(latest["stacktrace"]); !strings.Contains(s, `"filename":"src/orders.js"`) || !strings.Contains(s, `"function":"computeTotal"`) {
		t.Errorf("stack not source-mapped: %s", s)
	}
	unhandled := c.issue(t, "TypeError: Cannot read properties of null (reading 'explode')", "")
	if tags, _ := c.issueDetail(t, unhandled.ID); !hasTag(tags, "handled", "no") {
		t.Errorf("uncaught error tags %v", tags)
	}

	// Page views counted once with posthog-js and Lore's SDK on the page;
	// Sentry's page-load span keeps its web vitals.
	views := search(t, c.base, "kind:pageview", "now-1h", "now+1h", 20)
	lore := 0
	for _, e := range views.Events {
		if e.Attributes["lib"] == "lore-js" {
			lore++
		}
	}
	if first := search(t, c.base, `kind:pageview name:"/"`, "now-1h", "now+1h", 20); len(first.Events) != 1 || lore != 0 {
		t.Errorf("page views of / = %d (want 1), of them from Lore's SDK %d (want 0)", len(first.Events), lore)
	}
	pl := search(t, c.base, "kind:span span.op:pageload service:web", "now-1h", "now+1h", 5)
	if len(pl.Events) == 0 || pl.Events[0].Attributes["measurements.fcp"] == "" || pl.Events[0].Attributes["measurements.ttfb"] == "" {
		t.Errorf("page-load span without web vitals: %+v", pl.Events)
	}

	// The person's whole journey across the three SDKs' anonymous ids, the
	// click told as a click, and the funnel through all of them.
	user := "web-user-" + c.run
	uj := c.journey(t, "user", user)
	var story []string
	for _, s := range uj.Story {
		story = append(story, s.Text)
	}
	text := strings.Join(story, "\n")
	for _, want := range []string{`clicked "Pay now"`, "viewed /", "started checkout", "completed order"} {
		if !strings.Contains(text, want) {
			t.Errorf("the person's story lacks %q:\n%s", want, text)
		}
	}
	if got := c.funnel(t, "/", "Checkout Started", "Pay Clicked", "Order Completed"); !slices.Equal(got, []int64{1, 1, 1, 1}) {
		t.Errorf("funnel across posthog-js, analytics-next and Lore's SDK = %v, want [1 1 1 1]", got)
	}
	m := c.metrics(t)
	if !strings.Contains(m, `lore_ingest_items_unstored_total{protocol="sentry",type="replay_event"}`) {
		t.Error("replays not counted as unstored")
	}
	// Lore's SDK, loaded after Sentry's, sent its batches through Sentry's
	// fetch: with sentry-trace and baggage, so preflighted (and answered).
	if !strings.Contains(m, `lore_http_requests_total{route="OPTIONS /batch/",code="2xx"}`) {
		t.Error("no preflight of Lore's batches: they did not go through Sentry's fetch")
	}
	// Lore's SDK installed from the server's npm package and bundled.
	if r := search(t, c.base, `name:"SDK From npm"`, "now-1h", "now+1h", 5); len(r.Events) != 1 || r.Events[0].Attributes["lib"] != "lore-js" {
		t.Errorf("the event of Lore's SDK from npm: %+v", r.Events)
	}
}

type payHeaders struct {
	Traceparent string `json:"traceparent"`
	SentryTrace string `json:"sentryTrace"`
}

// startBackend runs the shop's backend (browser/backend.mjs) and returns
// its URL and the headers of its /api/pay requests.
func (c *clients) startBackend(t *testing.T, dist string) (string, <-chan payHeaders) {
	t.Helper()
	cmd := exec.Command("node", "browser/backend.mjs")
	cmd.Dir, cmd.Env = c.dir, append(c.env(), "DIST="+dist)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	sc := bufio.NewScanner(stdout)
	if !sc.Scan() {
		t.Fatalf("backend did not start: %s", stderr.String())
	}
	var start struct{ URL string }
	if err := json.Unmarshal(sc.Bytes(), &start); err != nil || start.URL == "" {
		t.Fatalf("backend said %q: %v", sc.Text(), err)
	}
	pays := make(chan payHeaders, 4)
	go func() {
		for sc.Scan() {
			var p payHeaders
			if json.Unmarshal(sc.Bytes(), &p) == nil {
				select {
				case pays <- p:
				default:
				}
			}
		}
	}()
	return start.URL, pays
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
