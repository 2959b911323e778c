package ingest

import (
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// EventLimits bound one event, whatever protocol brought it. An event past
// them is clamped and flagged, not refused: losing the event would be
// worse than losing its excess, and the flags say what was changed.
type EventLimits struct {
	MaxAttributes int // attributes kept per event; the rest are dropped (counted in FlagDroppedAttrs)
	MaxKeyBytes   int // an attribute key longer than this is dropped (counted in FlagDroppedAttrs)
	MaxValueBytes int // a string value (message, attribute, …) is cut to this, on a rune boundary (FlagTruncated)
	// Timestamps later than MaxFuture after arrival, or before MinTS, are
	// set to the arrival time (FlagClampedTS; FlagOriginalTS keeps the
	// time as sent).
	MaxFuture time.Duration
	MinTS     int64 // µs since the epoch
}

// DefaultEventLimits are the limits of every ingest path (the README's
// limits table).
func DefaultEventLimits() EventLimits {
	return EventLimits{
		MaxAttributes: 256,
		MaxKeyBytes:   256,
		MaxValueBytes: 64 << 10,
		MaxFuture:     10 * time.Minute,
		MinTS:         time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMicro(),
	}
}

// Flags set on an event that was changed to be accepted.
const (
	FlagClampedTS    = "lore.ts_clamped"
	FlagOriginalTS   = "lore.original_ts"
	FlagTruncated    = "lore.truncated"
	FlagDroppedAttrs = "lore.dropped_attributes"
)

// Apply clamps e to the limits; now is its arrival time (µs), used when its
// ReceivedAt is unset. It reports whether e was changed.
func (l EventLimits) Apply(e *event.Event, now int64) bool {
	if e.ReceivedAt == 0 {
		e.ReceivedAt = now
	}
	changed, cut := false, false
	clip := func(s *string) {
		if l.MaxValueBytes > 0 && len(*s) > l.MaxValueBytes {
			*s, cut = event.CutText(*s, l.MaxValueBytes), true
		}
	}
	for _, s := range []*string{&e.Kind, &e.Level, &e.Service, &e.Env, &e.Release, &e.Host,
		&e.UserID, &e.AnonymousID, &e.SessionID, &e.RequestID, &e.Name, &e.Message,
		&e.HTTPMethod, &e.Endpoint, &e.ErrorType, &e.ErrorCode, &e.Fingerprint} {
		clip(s)
	}
	dropped := 0
	if len(e.Attributes) > 0 {
		kept := e.Attributes[:0]
		for _, a := range e.Attributes {
			if (l.MaxKeyBytes > 0 && len(a.Key) > l.MaxKeyBytes) || (l.MaxAttributes > 0 && len(kept) >= l.MaxAttributes) {
				dropped++
				continue
			}
			clip(&a.Value)
			kept = append(kept, a)
		}
		e.Attributes = kept
	}
	if cut {
		e.Attributes = append(e.Attributes, event.Attr{Key: FlagTruncated, Value: "true"})
		changed = true
	}
	if dropped > 0 {
		e.Attributes = append(e.Attributes, event.Attr{Key: FlagDroppedAttrs, Value: strconv.Itoa(dropped)})
		changed = true
	}
	if (l.MaxFuture > 0 && e.TS > e.ReceivedAt+l.MaxFuture.Microseconds()) || e.TS < l.MinTS {
		e.Attributes = append(e.Attributes,
			event.Attr{Key: FlagClampedTS, Value: "true"},
			event.Attr{Key: FlagOriginalTS, Value: formatTS(e.TS)})
		e.TS = e.ReceivedAt
		changed = true
	}
	return changed
}

// formatTS renders a timestamp as sent, also one outside the years
// FormatMicros can spell.
func formatTS(us int64) string {
	t := time.UnixMicro(us).UTC()
	if y := t.Year(); y < 0 || y > 9999 {
		return strconv.FormatInt(us, 10) + "µs"
	}
	return event.FormatMicros(us)
}
