package agent

import (
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/ingest/native"
)

// FuzzJoin: joining never loses or invents a non-blank line, and every
// record renders as exactly one ingest line the server reads as one event.
func FuzzJoin(f *testing.F) {
	f.Add("2026-12-04 ERROR x\njava.lang.IllegalStateException: y\n\tat a.b(C.java:1)\nCaused by: z\n\t... 3 more\nnext")
	f.Add("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/a.go:1 +0x1\nexit status 2\n{\"a\":1}")
	f.Add("ERROR:root:x\nTraceback (most recent call last):\n  File \"a\", line 1\nValueError: v\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\nKeyError: k\nINFO ok")
	f.Fuzz(func(t *testing.T, text string) {
		if strings.ContainsAny(text, "\r\x00") {
			return
		}
		var j joiner
		var recs [][]string
		for _, l := range strings.Split(text, "\n") {
			if r := j.add(l); r != nil {
				recs = append(recs, r)
			}
		}
		if r := j.flush(); r != nil {
			recs = append(recs, r)
		}
		var in, out []string
		for _, l := range strings.Split(text, "\n") {
			if strings.TrimSpace(l) != "" {
				in = append(in, l)
			}
		}
		for _, r := range recs {
			for _, l := range r {
				if strings.TrimSpace(l) != "" {
					out = append(out, l)
				}
			}
			line := appendRecord(nil, r)
			if strings.Count(string(line), "\n") != 1 {
				t.Fatalf("record %q renders as %q", r, line)
			}
			res := native.Decode(line, native.Options{Now: 1})
			if len(res.Events)+len(res.Errors) != 1 && strings.TrimSpace(string(line)) != "" {
				t.Fatalf("record %q: %d events, %d errors", r, len(res.Events), len(res.Errors))
			}
		}
		if strings.Join(in, "\n") != strings.Join(out, "\n") {
			t.Fatalf("lines changed:\n in %q\nout %q", in, out)
		}
	})
}

// FuzzJournalLine: no journal entry panics the mapping.
func FuzzJournalLine(f *testing.F) {
	f.Add([]byte(`{"__CURSOR":"c","__REALTIME_TIMESTAMP":"1796378400000000","MESSAGE":"m","PRIORITY":"3","FOO":[1,2,300]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		line, cur, err := JournalLine(b)
		if err == nil && (cur == "" || len(line) == 0) {
			t.Fatalf("no cursor or line from %q", b)
		}
	})
}
