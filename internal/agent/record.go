package agent

import (
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/native"
)

// appendRecord renders one record as one line of POST /api/v1/ingest. A
// single line goes as it is (the server reads it as `lore ingest` would);
// a multi-line record (a stack trace) is read here the same way from its
// first line, and sent as one JSON object whose message holds every line.
func appendRecord(b []byte, lines []string) []byte {
	if len(lines) == 1 {
		if t := strings.TrimSpace(lines[0]); t == "" || t[0] != '[' {
			return append(append(b, lines[0]...), '\n')
		}
		// A line that is a JSON array would be read by the server as a
		// batch of events (or none, for "[]"): in a file it is one line of
		// text, so it is sent as one event's message.
		return append(appendFlat(b, &event.Event{Message: lines[0]}), '\n')
	}
	res := native.Decode([]byte(lines[0]), native.Options{Now: 1})
	var e event.Event
	if len(res.Events) == 1 {
		e = res.Events[0]
	}
	first := e.Message
	if first == "" {
		first = lines[0]
	}
	e.Message = first + "\n" + strings.Join(lines[1:], "\n")
	if e.TS == 1 {
		e.TS = 0 // no time in the line: the server's clock, as for a single line
	}
	return append(appendFlat(b, &e), '\n')
}

// appendFlat renders an event as a flat JSON object in the field names the
// ingest mapping reads back to the same columns; attributes are top-level
// keys after the core fields (the mapping keeps the first of a column).
func appendFlat(b []byte, e *event.Event) []byte {
	b = append(b, '{')
	n := 0
	str := func(k, v string) {
		if v == "" {
			return
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = event.AppendJSONString(b, k)
		b = append(b, ':')
		b = event.AppendJSONString(b, v)
	}
	if e.TS != 0 {
		str("ts", event.FormatMicros(e.TS))
	}
	str("level", e.Level)
	str("service", e.Service)
	str("env", e.Env)
	str("release", e.Release)
	str("host", e.Host)
	str("trace_id", e.TraceID.String())
	str("span_id", e.SpanID.String())
	str("parent_span_id", e.ParentSpanID.String())
	str("user_id", e.UserID)
	str("anonymous_id", e.AnonymousID)
	str("session_id", e.SessionID)
	str("request_id", e.RequestID)
	str("name", e.Name)
	str("message", e.Message)
	str("http_method", e.HTTPMethod)
	str("endpoint", e.Endpoint)
	if e.HTTPStatus != 0 {
		str("http_status", strconv.Itoa(int(e.HTTPStatus)))
	}
	if e.DurationMS != 0 {
		str("duration_ms", strconv.FormatFloat(e.DurationMS, 'f', -1, 64))
	}
	str("error_type", e.ErrorType)
	str("error_code", e.ErrorCode)
	if e.RetryAttempt != 0 {
		str("retry_attempt", strconv.Itoa(int(e.RetryAttempt)))
	}
	for _, a := range e.Attributes {
		str(a.Key, a.Value)
	}
	return append(b, '}')
}
