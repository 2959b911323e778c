package issue

import (
	"context"
	"encoding/json"
	"github.com/lore-dev/lore/internal/exception"
	"testing"

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
	if len(out) != 4 || out[0].Kind != "error" || out[1].Kind != "log" || out[2].Kind != "span" || out[3].Kind != "error" {
		t.Fatalf("kinds = %v", kinds)
	}
	if c, _ := out[0].Attr(exception.AttrCulprit); c != "pay.py in charge" || out[0].Fingerprint == "" {
		t.Errorf("logged error: culprit %q fingerprint %q", c, out[0].Fingerprint)
	}
	if out[3].Message != "declined" || out[3].Fingerprint == "" {
		t.Errorf("span error = %+v", out[3])
	}
	if len(fm.observed) != 2 || fm.observed[0].Title != "KeyError: 'card'" {
		t.Errorf("observed %+v", fm.observed)
	}
	// Known fingerprints do not go back to the metadata database.
	if _, err := tr.Process(context.Background(), []event.Event{out[0]}); err != nil || len(fm.observed) != 2 {
		t.Errorf("a known unresolved issue was observed again: %d, %v", len(fm.observed), err)
	}
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
