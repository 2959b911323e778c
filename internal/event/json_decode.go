package event

import (
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// wireEvent is the JSON shape MarshalJSON writes.
type wireEvent struct {
	TS           string            `json:"ts"`
	ReceivedAt   string            `json:"received_at"`
	Kind         string            `json:"kind"`
	Level        string            `json:"level"`
	Service      string            `json:"service"`
	Env          string            `json:"env"`
	Release      string            `json:"release"`
	Host         string            `json:"host"`
	TraceID      string            `json:"trace_id"`
	SpanID       string            `json:"span_id"`
	ParentSpanID string            `json:"parent_span_id"`
	UserID       string            `json:"user_id"`
	AnonymousID  string            `json:"anonymous_id"`
	SessionID    string            `json:"session_id"`
	RequestID    string            `json:"request_id"`
	Name         string            `json:"name"`
	Message      string            `json:"message"`
	HTTPMethod   string            `json:"http_method"`
	Endpoint     string            `json:"endpoint"`
	HTTPStatus   int32             `json:"http_status"`
	DurationMS   float64           `json:"duration_ms"`
	ErrorType    string            `json:"error_type"`
	ErrorCode    string            `json:"error_code"`
	Fingerprint  string            `json:"fingerprint"`
	RetryAttempt int32             `json:"retry_attempt"`
	Attributes   map[string]string `json:"attributes"`
}

// ParseMicros reads a time as the API renders it (FormatMicros, or any RFC
// 3339 time) back into microseconds since the epoch; "" is 0.
func ParseMicros(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("cannot parse time %q: %w", s, err)
	}
	return t.UnixMicro(), nil
}

// UnmarshalJSON reads the API's rendering of an event (what MarshalJSON
// writes) back. Attributes come back sorted by key.
func (e *Event) UnmarshalJSON(b []byte) error {
	var w wireEvent
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	ts, err := ParseMicros(w.TS)
	if err != nil {
		return err
	}
	recv, err := ParseMicros(w.ReceivedAt)
	if err != nil {
		return err
	}
	tr, _ := ParseTraceID(w.TraceID)
	sp, _ := ParseSpanID(w.SpanID)
	psp, _ := ParseSpanID(w.ParentSpanID)
	*e = Event{
		TS: ts, ReceivedAt: recv, Kind: w.Kind, Level: w.Level, Service: w.Service, Env: w.Env,
		Release: w.Release, Host: w.Host, TraceID: tr, SpanID: sp, ParentSpanID: psp,
		UserID: w.UserID, AnonymousID: w.AnonymousID, SessionID: w.SessionID, RequestID: w.RequestID,
		Name: w.Name, Message: w.Message, HTTPMethod: w.HTTPMethod, Endpoint: w.Endpoint,
		HTTPStatus: w.HTTPStatus, DurationMS: w.DurationMS, ErrorType: w.ErrorType, ErrorCode: w.ErrorCode,
		Fingerprint: w.Fingerprint, RetryAttempt: w.RetryAttempt,
	}
	if len(w.Attributes) > 0 {
		keys := make([]string, 0, len(w.Attributes))
		for k := range w.Attributes {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		e.Attributes = make([]Attr, len(keys))
		for i, k := range keys {
			e.Attributes[i] = Attr{k, w.Attributes[k]}
		}
	}
	return nil
}
