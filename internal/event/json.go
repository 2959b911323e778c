package event

import (
	"strconv"
	"unicode/utf8"
)

// MarshalJSON renders e with the event model's column names as keys, as the
// HTTP API returns it: ts and received_at in RFC 3339 with microseconds
// (UTC), ids in hex, attributes as an object. Absent fields are omitted.
func (e Event) MarshalJSON() ([]byte, error) { return e.AppendJSON(nil), nil }

// AppendJSON appends e's JSON object to b. It is the fast path used for
// search results; MarshalJSON calls it.
func (e *Event) AppendJSON(b []byte) []byte {
	b = append(b, `{"ts":"`...)
	b = e.Time().AppendFormat(b, TimeFormat)
	b = append(b, '"')
	if e.ReceivedAt != 0 {
		b = append(b, `,"received_at":"`...)
		b = appendTime(b, e.ReceivedAt)
		b = append(b, '"')
	}
	b = appendStr(b, "kind", e.Kind)
	b = appendStr(b, "level", e.Level)
	b = appendStr(b, "service", e.Service)
	b = appendStr(b, "env", e.Env)
	b = appendStr(b, "release", e.Release)
	b = appendStr(b, "host", e.Host)
	b = appendStr(b, "trace_id", e.TraceID.String())
	b = appendStr(b, "span_id", e.SpanID.String())
	b = appendStr(b, "parent_span_id", e.ParentSpanID.String())
	b = appendStr(b, "user_id", e.UserID)
	b = appendStr(b, "anonymous_id", e.AnonymousID)
	b = appendStr(b, "session_id", e.SessionID)
	b = appendStr(b, "request_id", e.RequestID)
	b = appendStr(b, "name", e.Name)
	b = appendStr(b, "message", e.Message)
	b = appendStr(b, "http_method", e.HTTPMethod)
	b = appendStr(b, "endpoint", e.Endpoint)
	if e.HTTPStatus != 0 {
		b = append(b, `,"http_status":`...)
		b = strconv.AppendInt(b, int64(e.HTTPStatus), 10)
	}
	if e.DurationMS != 0 {
		b = append(b, `,"duration_ms":`...)
		b = strconv.AppendFloat(b, e.DurationMS, 'f', -1, 64)
	}
	b = appendStr(b, "error_type", e.ErrorType)
	b = appendStr(b, "error_code", e.ErrorCode)
	b = appendStr(b, "fingerprint", e.Fingerprint)
	if e.RetryAttempt != 0 {
		b = append(b, `,"retry_attempt":`...)
		b = strconv.AppendInt(b, int64(e.RetryAttempt), 10)
	}
	if len(e.Attributes) > 0 {
		b = append(b, `,"attributes":{`...)
		for i, a := range e.Attributes {
			if i > 0 {
				b = append(b, ',')
			}
			b = AppendJSONString(b, a.Key)
			b = append(b, ':')
			b = AppendJSONString(b, a.Value)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendTime(b []byte, us int64) []byte {
	e := Event{TS: us}
	return e.Time().AppendFormat(b, TimeFormat)
}

func appendStr(b []byte, key, v string) []byte {
	if v == "" {
		return b
	}
	b = append(b, ',', '"')
	b = append(b, key...)
	b = append(b, '"', ':')
	return AppendJSONString(b, v)
}

const hexDigits = "0123456789abcdef"

// AppendJSONString appends s as a JSON string literal, replacing invalid
// UTF-8 with U+FFFD. It is Lore's one JSON string escaper (API answers, the
// simulated shop's log lines, OTLP values rendered as JSON). Unlike
// encoding/json it leaves <, > and & as they are: the output is never
// embedded in HTML, and stored JSON stays readable.
func AppendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
