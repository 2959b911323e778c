package syslog

import (
	"bufio"
	"bytes"
	"testing"
)

// FuzzParse: no message panics, and every parsed message becomes an event
// or a named error.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`<165>1 2026-12-04T10:22:33Z web-3 checkout 4242 ID47 [a@1 x="1" y="\"q\\"][lore key="k"] msg`))
	f.Add([]byte("<34>Dec  4 10:00:01 mymachine su[230]: failed"))
	f.Add([]byte(`<11>1 - h a - - - {"msg":"x","level":"warn"}`))
	f.Add([]byte("<13>2026-12-04T10:00:00Z host app: hi"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b, testNow)
		if err != nil {
			return
		}
		evs, errs := Events([]Message{m}, 1, testNow)
		if len(evs)+len(errs) != 1 {
			t.Fatalf("%d events, %d errors", len(evs), len(errs))
		}
	})
}

// FuzzReadFrame: a TCP stream never panics the framing nor loops forever.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte("17 <13>1 - h a - - -\n<13>second\n"))
	f.Add([]byte("99999999999 x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReaderSize(bytes.NewReader(b), 16)
		for range len(b) + 2 {
			if _, err := readFrame(r, 64); err != nil && r.Buffered() == 0 {
				if _, err := r.Peek(1); err != nil {
					return
				}
			}
		}
	})
}
