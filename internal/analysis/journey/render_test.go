package journey

import (
	"errors"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func TestRenderTextColor(t *testing.T) {
	lines, sum := BuildStory(cascadeTimeout())
	var b strings.Builder
	if err := RenderText(&b, Result{Story: lines, Summary: sum}, true); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		ansiRed + "TimeoutError: query timed out after 5000ms" + ansiReset,
		ansiCyan + "inventory:  " + ansiReset,
		ansiRed + "failed" + ansiReset,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("coloured output lacks %q:\n%s", want, out)
		}
	}
	b.Reset()
	if err := RenderText(&b, Result{Story: lines, Summary: sum}, false); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), "\x1b[") {
		t.Errorf("plain output has escapes:\n%s", b.String())
	}
}

func TestRenderTextAcrossMidnight(t *testing.T) {
	evs := abandonedCheckout()[:2]
	evs[1].TS = micros("2026-11-21T00:10:00Z")
	lines, sum := BuildStory(evs)
	var b strings.Builder
	if err := RenderText(&b, Result{Story: lines, Summary: sum}, false); err != nil {
		t.Fatal(err)
	}
	want := "2026-11-20 14:02:00 web: user_321 viewed /\n" +
		"                         (10 h 8 min later)\n" +
		"2026-11-21 00:10:00 web: user_321 viewed /products/42\n"
	if !strings.HasPrefix(b.String(), want) {
		t.Errorf("output:\n%s\nwant it to start with:\n%s", b.String(), want)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestRenderTextWriteError(t *testing.T) {
	lines, sum := BuildStory(plainTrace())
	boom := errors.New("broken pipe")
	if err := RenderText(failingWriter{boom}, Result{Story: lines, Summary: sum}, false); !errors.Is(err, boom) {
		t.Errorf("err = %v, want %v", err, boom)
	}
}

// TestRenderTextEventWithoutService: a line from an event that names no
// service (a plain log line) keeps its time; only gap and fold lines are
// indented without one.
func TestRenderTextEventWithoutService(t *testing.T) {
	lines, sum := BuildStory([]event.Event{{TS: micros("2026-11-21T15:25:00Z"), Kind: event.KindLog, Level: event.LevelError, Message: "gateway 429"}})
	var b strings.Builder
	if err := RenderText(&b, Result{Story: lines, Summary: sum}, false); err != nil {
		t.Fatal(err)
	}
	if want := "15:25:00 -: gateway 429\n"; !strings.HasPrefix(b.String(), want) {
		t.Errorf("output:\n%s\nwant it to start with %q", b.String(), want)
	}
}
