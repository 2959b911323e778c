package ingest

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/lore-dev/lore/internal/event"
)

func TestEventLimits(t *testing.T) {
	l := DefaultEventLimits()
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC).UnixMicro()
	attr := func(e event.Event, k string) string { v, _ := e.Attr(k); return v }

	// 100,000 attributes, one with a 500 KB name: 256 kept, the rest
	// counted.
	e := event.Event{TS: now}
	e.Attributes = append(e.Attributes, event.Attr{Key: strings.Repeat("k", 500<<10), Value: "x"})
	for i := range 100_000 {
		e.Attributes = append(e.Attributes, event.Attr{Key: "a" + string(rune('a'+i%26)), Value: "v"})
	}
	if !l.Apply(&e, now) || len(e.Attributes) != 257 || attr(e, FlagDroppedAttrs) != "99745" {
		t.Errorf("attributes: %d kept, dropped %q", len(e.Attributes), attr(e, FlagDroppedAttrs))
	}
	for _, a := range e.Attributes {
		if len(a.Key) > l.MaxKeyBytes {
			t.Fatalf("a %d-byte key was kept", len(a.Key))
		}
	}

	// Year 3000 and year 1 are set to the arrival time, flagged.
	for _, ts := range []int64{time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro()} {
		e := event.Event{TS: ts}
		if !l.Apply(&e, now) || e.TS != now || e.ReceivedAt != now || attr(e, FlagClampedTS) != "true" || attr(e, FlagOriginalTS) == "" {
			t.Errorf("ts %d: %+v", ts, e)
		}
	}
	// A little ahead (clock skew) is kept as sent.
	e = event.Event{TS: now + time.Minute.Microseconds()}
	if l.Apply(&e, now) || e.TS != now+time.Minute.Microseconds() {
		t.Errorf("a minute ahead: %+v", e)
	}

	// A long message is cut on a rune boundary and flagged.
	e = event.Event{TS: now, Message: strings.Repeat("é", l.MaxValueBytes)}
	if !l.Apply(&e, now) || len(e.Message) > l.MaxValueBytes || !utf8.ValidString(e.Message) || attr(e, FlagTruncated) != "true" {
		t.Errorf("long message: %d bytes, flags %v", len(e.Message), e.Attributes)
	}
}
