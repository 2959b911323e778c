// Package event defines Lore's one event model: every log line, span, error,
// product event and page view becomes an Event with typed core columns and
// free attributes. Protocol adapters in internal/ingest produce Events; the
// store keeps them; the analysis code reads them.
package event

import (
	"encoding/hex"
	"time"
)

// Kinds of event.
const (
	KindLog      = "log"
	KindSpan     = "span"
	KindError    = "error"
	KindEvent    = "event" // product event
	KindPageview = "pageview"
	KindCheck    = "check" // uptime check
)

// Levels, lowest to highest.
const (
	LevelDebug = "debug"
	LevelInfo  = "info"
	LevelWarn  = "warn"
	LevelError = "error"
	LevelFatal = "fatal"
)

// Attr is one free attribute, flattened to a dotted key.
type Attr struct {
	Key   string
	Value string
}

// Event is one row of the events table. Zero values mean "absent": an empty
// string, a zero TraceID or SpanID, HTTPStatus 0, DurationMS 0 and
// RetryAttempt 0 are stored as absent (NULL for the numeric columns).
type Event struct {
	ProjectID  int64
	TS         int64 // event time, microseconds since the Unix epoch, UTC
	ReceivedAt int64 // microseconds since the Unix epoch, UTC

	Kind  string // one of the Kind* constants
	Level string // one of the Level* constants, or empty

	Service string
	Env     string
	Release string
	Host    string

	TraceID      TraceID
	SpanID       SpanID
	ParentSpanID SpanID

	UserID      string
	AnonymousID string
	SessionID   string
	RequestID   string

	Name    string // event name or span name
	Message string // human text of a log line or error

	HTTPMethod string
	Endpoint   string
	HTTPStatus int32
	DurationMS float64

	ErrorType    string
	ErrorCode    string
	Fingerprint  string
	RetryAttempt int32

	Attributes []Attr
}

// Attr returns the value of the attribute key and whether it is present.
func (e *Event) Attr(key string) (string, bool) {
	for _, a := range e.Attributes {
		if a.Key == key {
			return a.Value, true
		}
	}
	return "", false
}

// Time returns TS as a time.Time in UTC.
func (e *Event) Time() time.Time { return time.UnixMicro(e.TS).UTC() }

// TimeFormat is how timestamps are rendered in the API: RFC 3339 with
// microseconds, UTC.
const TimeFormat = "2006-01-02T15:04:05.000000Z07:00"

// FormatMicros renders microseconds since the epoch in TimeFormat.
func FormatMicros(us int64) string { return time.UnixMicro(us).UTC().Format(TimeFormat) }

// TraceID is a W3C trace id: 16 bytes, rendered as 32 lower-case hex digits.
// The zero value means "no trace".
type TraceID [16]byte

// IsZero reports whether t is the absent trace id.
func (t TraceID) IsZero() bool { return t == TraceID{} }

// String renders t as 32 hex digits, or "" when t is zero.
func (t TraceID) String() string {
	if t.IsZero() {
		return ""
	}
	return hex.EncodeToString(t[:])
}

// Hi and Lo split t into two big-endian uint64 halves, as stored.
func (t TraceID) Hi() uint64 { return be64(t[:8]) }

// Lo is the low half of t; see Hi.
func (t TraceID) Lo() uint64 { return be64(t[8:]) }

// TraceIDFromHalves builds a TraceID from its stored halves.
func TraceIDFromHalves(hi, lo uint64) TraceID {
	var t TraceID
	put64(t[:8], hi)
	put64(t[8:], lo)
	return t
}

// SpanID is a W3C span id: 8 bytes, rendered as 16 lower-case hex digits.
// The zero value means "no span".
type SpanID [8]byte

// IsZero reports whether s is the absent span id.
func (s SpanID) IsZero() bool { return s == SpanID{} }

// String renders s as 16 hex digits, or "" when s is zero.
func (s SpanID) String() string {
	if s.IsZero() {
		return ""
	}
	return hex.EncodeToString(s[:])
}

// Uint64 is s as a big-endian integer, as stored.
func (s SpanID) Uint64() uint64 { return be64(s[:]) }

// SpanIDFromUint64 builds a SpanID from its stored integer.
func SpanIDFromUint64(v uint64) SpanID {
	var s SpanID
	put64(s[:], v)
	return s
}

func be64(b []byte) uint64 {
	return uint64(b[0])<<56 | uint64(b[1])<<48 | uint64(b[2])<<40 | uint64(b[3])<<32 |
		uint64(b[4])<<24 | uint64(b[5])<<16 | uint64(b[6])<<8 | uint64(b[7])
}

func put64(b []byte, v uint64) {
	b[0], b[1], b[2], b[3] = byte(v>>56), byte(v>>48), byte(v>>40), byte(v>>32)
	b[4], b[5], b[6], b[7] = byte(v>>24), byte(v>>16), byte(v>>8), byte(v)
}
