package journey

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func TestOutcome(t *testing.T) {
	f := func(desc, want string, evs ...event.Event) {
		t.Helper()
		if _, s := BuildStory(evs); s.Outcome != want {
			t.Errorf("%s: outcome = %q, want %q", desc, s.Outcome, want)
		}
	}
	ok := func(ts string, tr byte) event.Event {
		return ev(ts, "api", log_, trace(tr), http("GET", "/x", 200))
	}
	boom := func(ts string, tr byte) event.Event {
		return ev(ts, "api", log_, trace(tr), http("GET", "/x", 500), level(event.LevelError))
	}
	f("one request that answered 200", OutcomeSucceeded, ok("10:00:00", 1))
	f("one request that answered 500", OutcomeFailed, boom("10:00:00", 1))
	f("a 429 then nothing", OutcomeFailed, ev("10:00:00", "pay", log_, trace(1), name("gateway_response"), status(429)))
	f("a failure recovered by a later 2xx", OutcomeSucceeded, boom("10:00:00", 1), ok("10:00:01", 1))
	f("a success then a failure", OutcomeFailed, ok("10:00:00", 1), boom("10:00:01", 1))
	f("a *_failed name at info level", OutcomeFailed, ev("10:00:00", "pay", log_, trace(1), name("payment_failed")))
	f("a *_succeeded name after a warning", OutcomeSucceeded,
		ev("10:00:00", "pay", log_, trace(1), name("gateway_response"), status(429)),
		ev("10:15:00", "pay", log_, trace(1), name("payment_succeeded")))
	f("202 Accepted does not recover", OutcomeFailed, boom("10:00:00", 1), ev("10:00:01", "api", log_, trace(1), status(202)))

	// A failure absorbed inside a request that still answered 200: the
	// inventory timeout is logged after catalog gave up and served the page.
	rootOK := ev("10:00:00", "gw", span_, trace(5), span(1), server, http("GET", "/p/7", 200), dur(3000))
	catalog := ev("10:00:00.100", "catalog", span_, trace(5), span(2), parent(1), server, http("GET", "/p/7", 200), dur(2800))
	invTimeout := ev("10:00:05", "inventory", log_, trace(5), span(3), level(event.LevelError), errType("TimeoutError"), msg("query timed out"))
	invSpan := ev("10:00:00.200", "inventory", span_, trace(5), span(3), parent(2), server, http("GET", "/stock/7", 503), dur(4800), level(event.LevelError))
	f("a failure absorbed by a 200 root", OutcomeSucceeded, rootOK, catalog, invSpan, invTimeout)
	f("the same failure under a failed root", OutcomeFailed,
		ev("10:00:00", "gw", span_, trace(5), span(1), server, http("GET", "/p/7", 500), dur(3000), level(event.LevelError)), catalog, invSpan, invTimeout)
	f("a *_failed name is never absorbed", OutcomeFailed, rootOK,
		ev("10:00:01", "gw", log_, trace(5), span(1), name("reservation_failed")))
	f("a failure after the root answered, outside its tree", OutcomeFailed, rootOK,
		ev("10:00:09", "gw", log_, trace(5), http("GET", "/p/8", 500), level(event.LevelError)))

	started := ev("10:00:00", "web", prod, user("u"), trace(1), name("Checkout Started"))
	f("a single trace is not judged for abandonment", OutcomeSucceeded, started, ok("10:00:01", 1))
	f("a user journey that starts a flow and stops", OutcomeAbandoned, started, ok("10:00:01", 1),
		ev("10:00:30", "web", page, user("u"), trace(2), endpoint("/cart")))
	f("a started flow that completes", OutcomeSucceeded, started,
		ev("10:01:00", "web", prod, user("u"), trace(2), name("Order Completed")))
	f("a completed flow, then another one started", OutcomeAbandoned, started,
		ev("10:01:00", "web", prod, user("u"), trace(2), name("Order Completed")),
		ev("10:05:00", "web", prod, user("u"), trace(3), name("Checkout Started")))
	f("a failure the user browses away from", OutcomeAbandoned, started, boom("10:00:01", 1),
		ev("10:00:20", "web", page, user("u"), trace(2), endpoint("/")))
	f("a user journey ending in a failure", OutcomeFailed, started, boom("10:00:01", 1),
		ev("10:00:20", "web", page, user("u"), trace(2), endpoint("/")), boom("10:00:21", 2))
	f("browsing without a flow", OutcomeSucceeded,
		ev("10:00:00", "web", page, user("u"), trace(1), endpoint("/")),
		ev("10:00:10", "web", page, user("u"), trace(2), endpoint("/about")))
	f("nothing at all", "")

	// An error tracker's captured message at warning level (kind error)
	// is not a failure; the same message at error level is.
	warned := ev("10:00:01", "api", event.KindError, trace(1), level(event.LevelWarn), msg("low stock"))
	f("a warning-level captured message", OutcomeSucceeded, ok("10:00:00", 1), warned)
	f("an error-level captured message", OutcomeFailed, ok("10:00:00", 1),
		ev("10:00:01", "api", event.KindError, trace(1), level(event.LevelError), msg("stock gone")))
	if _, s := BuildStory([]event.Event{ok("10:00:00", 1), warned}); s.Errors != 0 {
		t.Errorf("a warning-level captured message counts %d errors, want 0", s.Errors)
	}
}

func TestSummary(t *testing.T) {
	_, s := BuildStory(cascadeTimeout())
	if got, want := strings.Join(s.Services, ","), "api-gateway,cart,inventory"; got != want {
		t.Errorf("services = %s, want %s", got, want)
	}
	if s.Errors != 3 {
		t.Errorf("errors = %d, want 3 (one per failing request, not per event)", s.Errors)
	}
	if s.DurationMS != 5120 {
		t.Errorf("duration = %v ms, want 5120 (the root span's end counts)", s.DurationMS)
	}
	_, s = BuildStory(throttledCheckoutSucceeds())
	if s.Retries != 2 || s.Traces != 4 || len(s.Users) != 1 {
		t.Errorf("retries, traces, users = %d, %d, %v; want 2, 4, [user_789]", s.Retries, s.Traces, s.Users)
	}
	if want := float64(micros("09:52:03.200")-micros("09:14:10")) / 1000; s.DurationMS != want {
		t.Errorf("duration = %v ms, want %v", s.DurationMS, want)
	}
}

func storyTexts(lines []StoryLine) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "%s|%s|%s\n", l.Service, l.Kind, l.Text)
	}
	return b.String()
}

func TestStoryCollapsesRepeats(t *testing.T) {
	var evs []event.Event
	for i := range 12 {
		evs = append(evs, ev(fmt.Sprintf("10:00:%02d", i), "worker", log_, name("heartbeat_missed"), level(event.LevelWarn), msg("heartbeat missed")))
	}
	evs = append(evs, ev("10:00:20", "worker", log_, msg("reconnected")))
	lines, _ := BuildStory(evs)
	want := "worker|warning|heartbeat missed (×12)\nworker|event|reconnected\n"
	if got := storyTexts(lines); got != want {
		t.Errorf("story:\n%s\nwant:\n%s", got, want)
	}
}

func TestStoryMergesSpanAndLog(t *testing.T) {
	evs := []event.Event{
		ev("10:00:00.000", "cart", span_, trace(1), span(1), name("GET /api/cart"), server, http("GET", "/api/cart", 200), dur(4200)),
		ev("10:00:04.199", "cart", log_, trace(1), span(1), http("GET", "/api/cart", 200), dur(4190), msg("cart loaded with 3 items")),
	}
	lines, _ := BuildStory(evs)
	want := "cart|event|handled GET /api/cart (200): cart loaded with 3 items; took 4.2 s\n"
	if got := storyTexts(lines); got != want {
		t.Errorf("story:\n%s\nwant:\n%s", got, want)
	}
	if lines[0].Ref != 1 {
		t.Errorf("ref = %d, want 1 (the log speaks for the request)", lines[0].Ref)
	}
}

func TestStoryFoldsRoutineSpans(t *testing.T) {
	evs := []event.Event{ev("10:00:00", "api", log_, trace(1), http("POST", "/api/import", 500), level(event.LevelError), msg("import failed"))}
	for i := range 60 {
		evs = append(evs, ev(fmt.Sprintf("10:00:01.%03d", i), "db", span_, trace(1), span(byte(i+1)), name(fmt.Sprintf("INSERT row %d", i)), dur(2)))
	}
	evs = append(evs, ev("10:00:02", "api", log_, trace(1), name("import_done"), msg("import finished")))
	lines, _ := BuildStory(evs)
	want := "api|error|POST /api/import failed with 500 (internal error): import failed\n" +
		"|fold|… 60 routine steps in db\n" +
		"api|event|import finished\n"
	if got := storyTexts(lines); got != want {
		t.Errorf("story:\n%s\nwant:\n%s", got, want)
	}
}

func TestStoryGaps(t *testing.T) {
	evs := []event.Event{
		ev("10:00:00", "web", page, user("u"), endpoint("/")),
		ev("10:00:02", "web", page, user("u"), endpoint("/a")),
		ev("10:00:04", "web", page, user("u"), endpoint("/b")),
		ev("10:15:04", "web", page, user("u"), endpoint("/c")),
		ev("12:15:04", "web", page, user("u"), endpoint("/d")),
	}
	lines, _ := BuildStory(evs)
	want := "web|event|u viewed /\nweb|event|u viewed /a\nweb|event|u viewed /b\n|gap|(15 min later)\n" +
		"web|event|u viewed /c\n|gap|(2 h later)\nweb|event|u viewed /d\n"
	if got := storyTexts(lines); got != want {
		t.Errorf("story:\n%s\nwant:\n%s", got, want)
	}
	if lines[3].Ref != -1 || lines[3].TS != micros("10:00:04") {
		t.Errorf("gap line = %+v, want ref -1 at the pause's start", lines[3])
	}
}

func TestBuildStorySortsDefensively(t *testing.T) {
	evs := []event.Event{
		ev("10:00:05", "web", page, user("u"), endpoint("/second")),
		ev("10:00:00", "web", page, user("u"), endpoint("/first")),
	}
	lines, s := BuildStory(evs)
	if len(lines) != 2 || lines[0].Text != "u viewed /first" || s.Start != micros("10:00:00") {
		t.Errorf("story = %v, start %d", lines, s.Start)
	}
	if evs[0].Endpoint != "/second" {
		t.Error("BuildStory reordered its input")
	}
}

func TestJSONShape(t *testing.T) {
	res, err := Journey{ProjectID: 1, By: "session", ID: "x"}.Resolve(t.Context(), &memReader{events: abandonedCheckout()})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(struct {
		Story   []StoryLine `json:"story"`
		Summary Summary     `json:"summary"`
	}{res.Story[:1], res.Summary})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"story":[{"ts":"2026-11-20T14:02:00.000000Z","service":"web","text":"user_321 viewed /","kind":"event","ref":0}],` +
		`"summary":{"services":["web","catalog","cart","api-gateway"],"duration_ms":150200,"retries":0,"errors":0,` +
		`"outcome":"abandoned","users":["user_321"],"traces":5,"start":"2026-11-20T14:02:00.000000Z","end":"2026-11-20T14:04:30.200000Z"}}`
	if string(b) != want {
		t.Errorf("json:\n%s\nwant:\n%s", b, want)
	}
	b, _ = json.Marshal(Summary{})
	if !bytes.Contains(b, []byte(`"services":[]`)) || bytes.Contains(b, []byte(`"start"`)) {
		t.Errorf("empty summary json = %s", b)
	}
}

// TestJSONRoundTrip: the CLI renders journeys fetched over HTTP, so what
// MarshalJSON writes must read back to the same story and summary.
func TestJSONRoundTrip(t *testing.T) {
	story, sum := BuildStory(throttledCheckoutSucceeds())
	b, err := json.Marshal(Result{Story: story, Summary: sum})
	if err != nil {
		t.Fatal(err)
	}
	var back Result
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if storyTexts(back.Story) != storyTexts(story) {
		t.Errorf("story changed in a round trip:\n%s\nwant:\n%s", storyTexts(back.Story), storyTexts(story))
	}
	for i := range story {
		if back.Story[i].TS != story[i].TS || back.Story[i].Ref != story[i].Ref {
			t.Errorf("line %d: ts, ref = %d, %d; want %d, %d", i, back.Story[i].TS, back.Story[i].Ref, story[i].TS, story[i].Ref)
		}
	}
	if fmt.Sprint(back.Summary) != fmt.Sprint(sum) {
		t.Errorf("summary = %+v, want %+v", back.Summary, sum)
	}
}
