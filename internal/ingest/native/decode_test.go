package native

import (
	"fmt"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func TestGoodAndBadLines(t *testing.T) {
	body := strings.Join([]string{
		`{"level":"info","msg":"one","ts":1714554940}`,
		`{"level":"info","msg":"trunc`,
		``,
		`{"msg":"bad time","time":"2024-13-45"}`,
		`level=warn msg=two`,
		`{"msg":"bad time 2","time":"yesterday"}`,
		`plain three`,
		`   `,
		`{"msg":"four","time":"2024-05-01T09:15:40Z"}`,
	}, "\n") + "\n"
	r := Decode([]byte(body), Options{Now: now2026, Service: "svc"})
	var msgs []string
	for _, e := range r.Events {
		msgs = append(msgs, e.Message)
		if e.Service != "svc" {
			t.Errorf("%q: service %q, want the default", e.Message, e.Service)
		}
	}
	if got := strings.Join(msgs, "|"); got != "one|two|plain three|four" {
		t.Errorf("events %q", got)
	}
	want := []LineError{
		{2, `invalid JSON: unexpected end of input at offset 28`},
		{4, `invalid timestamp: cannot parse "2024-13-45"`},
		{6, `invalid timestamp: cannot parse "yesterday"`},
	}
	if fmt.Sprint(r.Errors) != fmt.Sprint(want) {
		t.Errorf("errors\n%v\nwant\n%v", r.Errors, want)
	}
	if r.Lines != 9 || r.Skipped != 2 {
		t.Errorf("lines %d skipped %d, want 9 and 2", r.Lines, r.Skipped)
	}
}

func TestErrorReasons(t *testing.T) {
	f := func(body, want string) {
		t.Helper()
		r := Decode([]byte(body), Options{Now: now2026})
		if len(r.Errors) != 1 || !strings.HasPrefix(r.Errors[0].Error, want) {
			t.Errorf("Decode(%.40q): errors %v, want one starting %q", body, r.Errors, want)
		}
	}
	f(`{"a":1} x`, "invalid JSON: invalid character 'x' after top-level value at offset 9")
	f(`{"ts":-5}`, `invalid timestamp: "-5" is out of range`)
	f(`{"time":"2024-02-30T00:00:00Z"}`, `invalid timestamp: cannot parse "2024-02-30T00:00:00Z"`)
	f(`[{"a":1},3]`, "invalid JSON: array element is number, want an object")
	f(`[{"a":1},`, "invalid JSON:")
	long := `{"msg":"` + strings.Repeat("x", MaxLineBytes) + `"}`
	f(long+"\n", fmt.Sprintf("line too long: %d bytes (max %d)", len(long), MaxLineBytes))
}

func TestJSONArray(t *testing.T) {
	body := "[\n  {\"msg\":\"a\",\"level\":\"warn\"},\n  {\"msg\":\"b\",\"time\":\"nope\"},\n  {\"msg\":\"c\"}\n]\n"
	r := Decode([]byte(body), Options{Now: now2026})
	if len(r.Events) != 2 || r.Events[0].Message != "a" || r.Events[1].Message != "c" || r.Events[0].Level != "warn" {
		t.Fatalf("events %+v", r.Events)
	}
	if len(r.Errors) != 1 || r.Errors[0].Line != 2 {
		t.Errorf("errors %v, want element 2", r.Errors)
	}
	if r.Lines != 3 {
		t.Errorf("lines %d, want 3 elements", r.Lines)
	}
	if r := Decode([]byte("[]"), Options{Now: now2026}); len(r.Events)+len(r.Errors) != 0 {
		t.Errorf("empty array: %+v", r)
	}
}

func TestMaxLines(t *testing.T) {
	body := "a\nb\n\nc\nd\ne\n"
	r := Decode([]byte(body), Options{Now: now2026, MaxLines: 2})
	if len(r.Events) != 2 {
		t.Errorf("%d events, want 2", len(r.Events))
	}
	want := []LineError{{4, "too many lines: 3 lines from line 4 on were rejected (max 2 lines per request)"}}
	if fmt.Sprint(r.Errors) != fmt.Sprint(want) {
		t.Errorf("errors %v, want %v", r.Errors, want)
	}
	if r.Lines != len(r.Events)+len(r.Errors)+r.Skipped {
		t.Errorf("lines %d events %d errors %d skipped %d", r.Lines, len(r.Events), len(r.Errors), r.Skipped)
	}
	r = Decode([]byte(`[{"msg":"a"},{"msg":"b"},{"msg":"c"}]`), Options{Now: now2026, MaxLines: 1})
	if len(r.Events) != 1 || len(r.Errors) != 1 || r.Errors[0].Line != 2 {
		t.Errorf("array: %d events, errors %v", len(r.Events), r.Errors)
	}
}

func TestBraceText(t *testing.T) {
	r := Decode([]byte("{a b} done\n{\"msg\":\"x\"}\n{ \"msg\": 1"), Options{Now: now2026})
	if len(r.Events) != 2 || r.Events[0].Message != "{a b} done" || len(r.Errors) != 1 || r.Errors[0].Line != 3 {
		t.Errorf("events %+v errors %v", r.Events, r.Errors)
	}
}

func TestCRLFAndBOM(t *testing.T) {
	r := Decode([]byte("\ufeff{\"msg\":\"a\"}\r\n{\"msg\":\"b\"}\r\n"), Options{Now: now2026, ProjectID: 3})
	if len(r.Errors) > 0 || len(r.Events) != 2 || r.Events[1].Message != "b" || r.Events[0].ProjectID != 3 {
		t.Errorf("%+v", r)
	}
}

func TestNoNowUsesClock(t *testing.T) {
	r := Decode([]byte("x"), Options{})
	if len(r.Events) != 1 || r.Events[0].TS <= 0 || r.Events[0].ReceivedAt != r.Events[0].TS {
		t.Errorf("%+v", r.Events)
	}
}

var _ = event.KindLog
