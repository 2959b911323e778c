package issue

import (
	"context"
	"encoding/json"
	"github.com/lore-dev/lore/internal/exception"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/cache"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/meta"
)

// fakeMeta records observations in memory.
type fakeMeta struct {
	settings string
	observed []meta.Observation
	dropped  map[string]int64
}

func (f *fakeMeta) ObserveIssue(_ context.Context, o meta.Observation) (meta.Issue, error) {
	f.observed = append(f.observed, o)
	return meta.Issue{ID: int64(len(f.observed)), Fingerprint: o.Fingerprint, Status: meta.IssueUnresolved}, nil
}

func (f *fakeMeta) IssueSettings(context.Context, int64) (json.RawMessage, error) {
	if f.settings == "" {
		return json.RawMessage("{}"), nil
	}
	return json.RawMessage(f.settings), nil
}

func (f *fakeMeta) AddIssueDropped(_ context.Context, _ int64, fp string, n int64) error {
	if f.dropped == nil {
		f.dropped = map[string]int64{}
	}
	f.dropped[fp] += n
	return nil
}

func TestTrackerTurnsLogsAndSpansIntoErrors(t *testing.T) {
	fm := &fakeMeta{}
	tr := NewTracker(fm, nil, nil)
	stack := "Traceback (most recent call last):\n  File \"/app/shop/pay.py\", line 12, in charge\nKeyError: 'card'"
	in := []event.Event{
		{ProjectID: 1, Kind: event.KindLog, Level: event.LevelError, Message: "KeyError: 'card'", ErrorType: "KeyError",
			Attributes: []event.Attr{{Key: "stack", Value: stack}}},
		{ProjectID: 1, Kind: event.KindLog, Level: event.LevelError, Message: "no stack here"},
		{ProjectID: 1, Kind: event.KindSpan, Level: event.LevelError, Name: "POST /pay", ErrorType: "PaymentError",
			Attributes: []event.Attr{{Key: "exception.message", Value: "declined"}}},
	}
	out, err := tr.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, e := range out {
		kinds = append(kinds, e.Kind)
	}
	// Every error-level log is an error, with or without a stack.
	if len(out) != 4 || out[0].Kind != "error" || out[1].Kind != "error" || out[2].Kind != "span" || out[3].Kind != "error" {
		t.Fatalf("kinds = %v", kinds)
	}
	if c, _ := out[0].Attr(exception.AttrCulprit); c != "pay.py in charge" || out[0].Fingerprint == "" {
		t.Errorf("logged error: culprit %q fingerprint %q", c, out[0].Fingerprint)
	}
	if out[3].Message != "declined" || out[3].Fingerprint == "" {
		t.Errorf("span error = %+v", out[3])
	}
	if len(fm.observed) != 3 || fm.observed[0].Title != "KeyError: 'card'" {
		t.Errorf("observed %+v", fm.observed)
	}
	// Known fingerprints do not go back to the metadata database.
	if _, err := tr.Process(context.Background(), []event.Event{out[0]}); err != nil || len(fm.observed) != 3 {
		t.Errorf("a known unresolved issue was observed again: %d, %v", len(fm.observed), err)
	}
}

// TestTrackerRereadsWhatAnotherNodeMayChange: a known issue is not read
// again for each of its events, but it is once cache.Staleness has passed
// (another node sharing the metadata may have resolved it meanwhile).
func TestTrackerRereadsWhatAnotherNodeMayChange(t *testing.T) {
	fm := &fakeMeta{}
	tr := NewTracker(fm, nil, nil)
	now := time.Unix(1_800_000_000, 0)
	tr.now = func() time.Time { return now }
	ev := event.Event{ProjectID: 1, Kind: event.KindLog, Level: event.LevelError, Message: "payment declined"}
	observe := func(want int) {
		t.Helper()
		if _, err := tr.Process(context.Background(), []event.Event{ev}); err != nil || len(fm.observed) != want {
			t.Fatalf("observed %d times (%v), want %d", len(fm.observed), err, want)
		}
	}
	observe(1)
	now = now.Add(cache.Staleness - time.Millisecond)
	observe(1)
	now = now.Add(time.Millisecond)
	observe(2)
}

func TestRulesAndGlob(t *testing.T) {
	r, err := ParseRule(`error_type:TimeoutError endpoint:/api/pay* -> payment-timeouts`)
	if err != nil {
		t.Fatal(err)
	}
	f := func(typ, endpoint string, want bool) {
		t.Helper()
		e := event.Event{ErrorType: typ, Endpoint: endpoint}
		if got := r.Match(&e); got != want {
			t.Errorf("rule on %s %s = %v, want %v", typ, endpoint, got, want)
		}
	}
	f("TimeoutError", "/api/pay/charge", true)
	f("TimeoutError", "/api/payments", true)
	f("TimeoutError", "/api/search", false)
	f("IOError", "/api/pay", false)
	for _, bad := range []string{"no arrow", "-> name", "error_type: -> x", "a:b ->"} {
		if _, err := ParseRule(bad); err == nil {
			t.Errorf("ParseRule(%q) accepted", bad)
		}
	}
	for _, c := range []struct {
		p, v string
		ok   bool
	}{{"*", "", true}, {"a*c", "abc", true}, {"a*c", "ab", false}, {"*mid*", "a mid b", true}, {"x", "x", true}, {"x", "y", false}, {"a*b*c", "acb", false}} {
		if Glob(c.p, c.v) != c.ok {
			t.Errorf("Glob(%q, %q) != %v", c.p, c.v, c.ok)
		}
	}
}

// families is a pattern miner's answer: ids to their family.
type families map[string]string

func (f families) Family(_ int64, id string) string {
	if v, ok := f[id]; ok {
		return v
	}
	return id
}

// Errors without a stack group by error type, the family of their log
// pattern and their service.
func TestTrackerGroupsLogErrorsByPattern(t *testing.T) {
	tr := NewTracker(&fakeMeta{}, nil, nil)
	tr.UsePatterns(families{"pVariant": "pHead"})
	pat := func(id string) []event.Attr { return []event.Attr{{Key: "pattern_id", Value: id}} }
	ev := func(svc, typ, msg, pid string) event.Event {
		return event.Event{ProjectID: 1, Kind: event.KindLog, Level: event.LevelError, Service: svc, ErrorType: typ, Message: msg, Attributes: pat(pid)}
	}
	in := []event.Event{
		ev("inventory", "TimeoutError", "query timed out after 5000ms", "pHead"),
		ev("inventory", "TimeoutError", "query timed out after 4100ms", "pHead"),
		ev("inventory", "TimeoutError", "query timed out on replica", "pVariant"), // a variant: same family
		ev("gateway", "TimeoutError", "query timed out after 5000ms", "pGate"),    // another service
		ev("inventory", "UpstreamError", "query timed out after 5000ms", "pHead"), // another type
		{ProjectID: 1, Kind: event.KindSpan, Level: event.LevelError, Service: "inventory", ErrorType: "TimeoutError",
			Message: "query timed out after 5000ms", Attributes: append(pat("pHead"), event.Attr{Key: "exception.type", Value: "TimeoutError"})}, // a span that recorded it
	}
	out, err := tr.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	fp := map[string]int{}
	var errs []event.Event
	for _, e := range out {
		if e.Kind == event.KindError {
			errs = append(errs, e)
			fp[e.Fingerprint]++
		}
	}
	if len(errs) != 6 {
		t.Fatalf("%d errors", len(errs))
	}
	if errs[0].Fingerprint != errs[1].Fingerprint || errs[0].Fingerprint != errs[2].Fingerprint || errs[0].Fingerprint != errs[5].Fingerprint {
		t.Errorf("one statement split: %v", fp)
	}
	if errs[3].Fingerprint == errs[0].Fingerprint || errs[4].Fingerprint == errs[0].Fingerprint || len(fp) != 3 {
		t.Errorf("services or types merged: %v", fp)
	}
	// Without a miner, the normalized message stands for the template.
	plain := NewTracker(&fakeMeta{}, nil, nil)
	a := []event.Event{ev("inventory", "TimeoutError", "query timed out after 5000ms", "p1"), ev("inventory", "TimeoutError", "query timed out after 4100ms", "p2")}
	if out, _ := plain.Process(context.Background(), a); out[0].Fingerprint != out[1].Fingerprint {
		t.Errorf("normalized messages differ: %+v", out)
	}
}

// A project chooses the levels that become issues.
func TestTrackerIssueLevels(t *testing.T) {
	fm := &fakeMeta{settings: `{"levels":["warn","error","fatal"]}`}
	tr := NewTracker(fm, nil, nil)
	in := []event.Event{
		{ProjectID: 1, Kind: event.KindLog, Level: event.LevelWarn, Message: "disk 91% full"},
		{ProjectID: 1, Kind: event.KindLog, Level: event.LevelInfo, Message: "started"},
		{ProjectID: 1, Kind: event.KindSpan, Level: event.LevelWarn, ErrorType: "SlowQuery", Message: "slow", Attributes: []event.Attr{{Key: "exception.message", Value: "slow"}}},
		{ProjectID: 1, Kind: event.KindSpan, Name: "GET /", Attributes: []event.Attr{{Key: "exception.type", Value: "IOError"}}},
		{ProjectID: 1, Kind: event.KindSpan, Level: event.LevelError, Name: "GET /x"},                             // failed, but names no error
		{ProjectID: 1, Kind: event.KindSpan, Level: event.LevelError, Name: "GET /y", ErrorType: "UpstreamError"}, // names one, recorded none: its logs are the issue events
	}
	out, err := tr.Process(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range out {
		kinds = append(kinds, e.Kind+"/"+e.Level+"/"+e.ErrorType)
	}
	want := "error/warn/ log/info/ span/warn/SlowQuery span// span/error/ span/error/UpstreamError error/warn/SlowQuery error/error/IOError"
	if got := strings.Join(kinds, " "); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// Only warn: error logs stay logs.
	only := NewTracker(&fakeMeta{settings: `{"levels":["fatal"]}`}, nil, nil)
	out, _ = only.Process(context.Background(), []event.Event{{ProjectID: 1, Kind: event.KindLog, Level: event.LevelError, Message: "x"}})
	if out[0].Kind != event.KindLog {
		t.Errorf("an error log became an issue with levels [fatal]: %+v", out[0])
	}
	for _, bad := range []string{`{"levels":["loud"]}`, `{"levels":["Error"]}`} {
		if _, err := ValidateSettings([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}
