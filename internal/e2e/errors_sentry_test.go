package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
)

// issueList is the answer of GET /api/v1/issues.
type issueList struct {
	Issues []issueSummary `json:"issues"`
}

type issueSummary struct {
	ID           int64   `json:"id"`
	Title        string  `json:"title"`
	Culprit      string  `json:"culprit"`
	Level        string  `json:"level"`
	Status       string  `json:"status"`
	Count        int64   `json:"count"`
	Users        int64   `json:"users"`
	FirstSeen    string  `json:"first_seen"`
	LastSeen     string  `json:"last_seen"`
	FirstRelease string  `json:"first_release"`
	LastRelease  string  `json:"last_release"`
	Fingerprint  string  `json:"fingerprint"`
	RegressedIn  string  `json:"regressed_in"`
	Count24h     []int64 `json:"count_24h"`
	Count14d     []int64 `json:"count_14d"`
}

type issueDetail struct {
	issueSummary
	LatestEvent *struct {
		EventID   string `json:"event_id"`
		TraceID   string `json:"trace_id"`
		UserID    string `json:"user_id"`
		Env       string `json:"env"`
		Release   string `json:"release"`
		Message   string `json:"message"`
		Exception []struct {
			Type       string `json:"type"`
			Value      string `json:"value"`
			Stacktrace *struct {
				Frames []struct {
					Function string `json:"function"`
					Module   string `json:"module"`
					InApp    bool   `json:"in_app"`
					Lineno   int    `json:"lineno"`
				} `json:"frames"`
			} `json:"stacktrace"`
		} `json:"exception"`
		Stacktrace *struct {
			Frames []struct {
				Function string `json:"function"`
			} `json:"frames"`
		} `json:"stacktrace"`
		Breadcrumbs []struct {
			Category string `json:"category"`
			Message  string `json:"message"`
		} `json:"breadcrumbs"`
		Attributes map[string]string `json:"attributes"`
	} `json:"latest_event"`
	Tags map[string][]struct {
		Value string
		Count int64
	} `json:"tags"`
	Related struct {
		TraceID  string `json:"trace_id"`
		Services []string
		Events   []struct {
			Kind    string `json:"kind"`
			Name    string `json:"name"`
			TraceID string `json:"trace_id"`
			SpanID  string `json:"span_id"`
		} `json:"events"`
		JourneyURL string `json:"journey_url"`
		TraceURL   string `json:"trace_url"`
	} `json:"related"`
}

func sentryDSN(base string) string {
	return "http://" + ingestKey + "@" + strings.TrimPrefix(base, "http://") + "/1"
}

// newSentryHub starts an unmodified sentry-go client for the DSN, on its
// own hub (no globals).
func newSentryHub(t *testing.T, dsn, release string) *sentry.Hub {
	t.Helper()
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn: dsn, Release: release, Environment: "production", ServerName: "web-1",
		EnableTracing: true, TracesSampleRate: 1.0, AttachStacktrace: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(client.Close)
	return sentry.NewHub(client, sentry.NewScope())
}

func flushSentry(t *testing.T, hub *sentry.Hub) {
	t.Helper()
	if !hub.Client().Flush(10 * time.Second) {
		t.Fatal("sentry-go did not deliver its events within 10s")
	}
}

type cardDeclined struct{ order int }

func (e *cardDeclined) Error() string { return fmt.Sprintf("card declined for order %d", e.order) }

//go:noinline
func chargeCard(order int) error { return &cardDeclined{order} }

// refundCard captures an error inside a closure (sentry-go calls its frame
// "func1").
//
//go:noinline
func refundCard(hub *sentry.Hub) {
	func() {
		hub.CaptureException(errors.New("refund failed"))
	}()
}

func reserveStock(sku string) {
	var stock map[string]int
	stock[sku]-- // nil map: panics
}

func listIssues(t *testing.T, base string, q url.Values) issueList {
	t.Helper()
	var l issueList
	getJSON(t, base, "/api/v1/issues", q, &l)
	return l
}

func findIssue(l issueList, titlePrefix string) *issueSummary {
	for i := range l.Issues {
		if strings.HasPrefix(l.Issues[i].Title, titlePrefix) {
			return &l.Issues[i]
		}
	}
	return nil
}

func TestSentryGoSDKToIssues(t *testing.T) {
	a := startApp(t)
	base := a.URL()
	hub := newSentryHub(t, sentryDSN(base), "shop@1.4.2")
	hub.ConfigureScope(func(s *sentry.Scope) {
		s.SetUser(sentry.User{ID: "user-42", Email: "ada@example.com"})
		s.SetTag("service", "checkout")
		s.SetTag("browser", "Firefox 128")
		s.SetTag("plan", "pro") // a custom tag: the issue shows its breakdown
	})
	hub.AddBreadcrumb(&sentry.Breadcrumb{Category: "cart", Message: "added sku-123 to the cart", Level: sentry.LevelInfo}, nil)
	hub.AddBreadcrumb(&sentry.Breadcrumb{Category: "http", Message: "POST /api/pay", Level: sentry.LevelInfo}, nil)

	// A transaction with child spans; the error captured inside it carries
	// its trace id.
	ctx := sentry.SetHubOnContext(context.Background(), hub)
	tx := sentry.StartTransaction(ctx, "POST /api/checkout")
	db := tx.StartChild("db.query", sentry.WithDescription("SELECT * FROM carts WHERE id = ?"))
	db.Finish()
	sentry.NewLogger(tx.Context()).Info().Emitf("cart %d loaded", 7)
	pay := tx.StartChild("http.client", sentry.WithDescription("POST payments.internal/charge"))
	for order := 1000; order < 1003; order++ {
		hub.CaptureException(chargeCard(order))
	}
	pay.Finish()
	tx.Finish()
	traceID := tx.TraceID.String()

	hub.CaptureMessage("inventory sync lagging by 1200 items")
	refundCard(hub)
	func() {
		defer func() {
			if r := recover(); r != nil {
				hub.RecoverWithContext(ctx, r)
			}
		}()
		reserveStock("sku-9")
	}()
	flushSentry(t, hub)
	flush(t, a)

	l := listIssues(t, base, url.Values{"sort": {"count"}})
	if len(l.Issues) != 4 {
		t.Fatalf("want 4 issues (exception, message, panic, closure), got %d: %+v", len(l.Issues), l.Issues)
	}
	// sentry-go names the closure "func1"; the culprit names it after the
	// function it is declared in, as Sentry does.
	if refund := findIssue(l, "*errors.errorString: refund failed"); refund == nil || !strings.HasSuffix(refund.Culprit, " in refundCard.func1") {
		t.Errorf("closure issue = %+v", refund)
	}
	card := findIssue(l, "*e2e.cardDeclined: card declined for order")
	if card == nil {
		t.Fatalf("no card-declined issue in %+v", l.Issues)
	}
	if card.Count != 3 || card.Users != 1 || card.Status != "unresolved" || card.Level != "error" ||
		card.FirstRelease != "shop@1.4.2" || card.LastRelease != "shop@1.4.2" || card.Fingerprint == "" {
		t.Errorf("card issue = %+v", card)
	}
	if !strings.Contains(card.Culprit, "chargeCard") && !strings.Contains(card.Culprit, "TestSentryGoSDKToIssues") {
		t.Errorf("culprit %q names neither the failing function nor its caller", card.Culprit)
	}
	if sum(card.Count24h) != 3 || sum(card.Count14d) != 3 || len(card.Count24h) != 24 || len(card.Count14d) != 14 {
		t.Errorf("sparklines 24h=%v 14d=%v", card.Count24h, card.Count14d)
	}
	if l.Issues[0].ID != card.ID {
		t.Errorf("sort=count: first issue is %q, want the card issue", l.Issues[0].Title)
	}
	msg := findIssue(l, "inventory sync lagging")
	if msg == nil || msg.Level != "info" {
		t.Errorf("message issue = %+v", msg)
	}
	panicIssue := findIssue(l, "runtime.plainError: assignment to entry in nil map")
	if panicIssue == nil || panicIssue.Level != "fatal" || !strings.HasSuffix(panicIssue.Culprit, "in reserveStock") {
		t.Fatalf("no issue for the recovered panic in %+v", l.Issues)
	}

	var d issueDetail
	getJSON(t, base, fmt.Sprintf("/api/v1/issues/%d", card.ID), nil, &d)
	ev := d.LatestEvent
	if ev == nil {
		t.Fatal("detail has no latest_event")
	}
	if ev.TraceID != traceID || ev.UserID != "user-42" || ev.Env != "production" || ev.Release != "shop@1.4.2" || ev.EventID == "" {
		t.Errorf("latest event trace=%s (want %s) user=%s env=%s release=%s id=%q", ev.TraceID, traceID, ev.UserID, ev.Env, ev.Release, ev.EventID)
	}
	if len(ev.Exception) == 0 || ev.Exception[len(ev.Exception)-1].Stacktrace == nil || ev.Stacktrace == nil {
		t.Fatalf("latest event has no stack trace: %+v", ev.Exception)
	}
	inApp := false
	for _, f := range ev.Stacktrace.Frames {
		if f.Function == "chargeCard" || f.Function == "TestSentryGoSDKToIssues" {
			inApp = true
		}
	}
	if !inApp {
		t.Errorf("stack trace lacks the test's frames: %+v", ev.Stacktrace.Frames)
	}
	if len(ev.Breadcrumbs) != 2 || ev.Breadcrumbs[0].Category != "cart" {
		t.Errorf("breadcrumbs = %+v", ev.Breadcrumbs)
	}
	if ev.Attributes["user.email"] != "ada@example.com" || ev.Attributes["service"] != "checkout" {
		t.Errorf("attributes = %v", ev.Attributes)
	}
	if got := d.Tags["browser"]; len(got) != 1 || got[0].Value != "Firefox 128" || got[0].Count != 3 {
		t.Errorf("browser tag distribution = %+v", got)
	}
	if got := d.Tags["release"]; len(got) != 1 || got[0].Value != "shop@1.4.2" {
		t.Errorf("release tag distribution = %+v", got)
	}
	if got := d.Tags["plan"]; len(got) != 1 || got[0].Value != "pro" || got[0].Count != 3 {
		t.Errorf("custom tag plan distribution = %+v (tags %v)", got, d.Tags)
	}
	// The related trace: the transaction and its child spans.
	if d.Related.TraceID != traceID || d.Related.TraceURL != "/api/v1/journeys/trace/"+traceID || !strings.HasPrefix(d.Related.JourneyURL, "/api/v1/journeys/user/user-42?from=") {
		t.Errorf("related = %+v", d.Related)
	}
	names := map[string]bool{}
	for _, e := range d.Related.Events {
		if e.Kind == "span" && e.TraceID == traceID {
			names[e.Name] = true
		}
	}
	for _, n := range []string{"POST /api/checkout", "SELECT * FROM carts WHERE id = ?", "POST payments.internal/charge"} {
		if !names[n] {
			t.Errorf("related trace lacks span %q: %v", n, names)
		}
	}

	// Sentry logs are logs of the same trace.
	if r := search(t, base, `kind:log "cart 7 loaded"`, "now-1h", "now+1h", 10); len(r.Events) != 1 ||
		r.Events[0].TraceID != traceID || r.Events[0].Level != "info" || r.Events[0].Service != "shop" {
		t.Errorf("sentry log = %+v", r.Events)
	}

	// The issue's events, newest first.
	var evs struct {
		Events []struct {
			Message string `json:"message"`
		} `json:"events"`
	}
	getJSON(t, base, fmt.Sprintf("/api/v1/issues/%d/events", card.ID), nil, &evs)
	if len(evs.Events) != 3 || evs.Events[0].Message != "card declined for order 1002" {
		t.Errorf("issue events = %+v", evs.Events)
	}
	// The journey of the affected user reaches the error.
	var j journeyResult
	jpath, jquery, _ := strings.Cut(d.Related.JourneyURL, "?")
	jq, _ := url.ParseQuery(jquery)
	getJSON(t, base, jpath, jq, &j)
	if j.Summary.Errors == 0 {
		t.Errorf("user journey shows no error: %+v", j.Summary)
	}
}

func sum(v []int64) int64 {
	var n int64
	for _, x := range v {
		n += x
	}
	return n
}
