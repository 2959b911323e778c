package native

import (
	"testing"

	"github.com/lore-dev/lore/internal/event"
)

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		zapLine,
		`{"level":30,"time":1714554940123,"msg":"pino","err":{"type":"E","message":"m"}}`,
		`{"@t":"2016-06-07T03:44:57.8532799Z","@mt":"Hello, {User} {{x}} {","User":"bob"}`,
		"[{\"msg\":\"a\"},{\"msg\":\"b\",\"time\":\"bad\"}]",
		"time=2024-05-01T09:15:40Z level=info msg=\"a \\\"b\\\"\" k=v\nplain\n\n{\"msg\":",
		"May  1 09:15:40 host app[1]: hi\nE0501 09:15:40.123456 1 f.go:1] x\n[Sun Dec 04 04:47:44 2005] [error] y",
		`1.2.3.4 - - [01/May/2024:09:15:40 +0000] "GET / HTTP/1.1" 200 1`,
		"- 1117838570 2005.06.03 R02 2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO x",
		`{"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","duration":"1.5s","kind":"event","event":"e"}`,
	} {
		f.Add([]byte(s), 0)
	}
	f.Add([]byte("a\nb\nc"), 2)
	f.Fuzz(func(t *testing.T, body []byte, maxLines int) {
		r := Decode(body, Options{Now: now2026, MaxLines: maxLines})
		if r.Lines != len(r.Events)+len(r.Errors)+r.Skipped {
			t.Fatalf("lines %d != events %d + errors %d + skipped %d", r.Lines, len(r.Events), len(r.Errors), r.Skipped)
		}
		for i, e := range r.Events {
			if !event.ValidKind(e.Kind) {
				t.Errorf("event %d: kind %q", i, e.Kind)
			}
			if e.TS <= 0 || e.TS > 253402300799999999 {
				t.Errorf("event %d: ts %d", i, e.TS)
			}
			switch e.Level {
			case "", event.LevelDebug, event.LevelInfo, event.LevelWarn, event.LevelError, event.LevelFatal:
			default:
				t.Errorf("event %d: level %q", i, e.Level)
			}
		}
		for _, le := range r.Errors {
			if le.Line < 1 || le.Line > r.Lines || le.Error == "" {
				t.Errorf("error %+v (lines %d)", le, r.Lines)
			}
		}
	})
}
