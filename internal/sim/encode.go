package sim

import (
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// Logger dialects, as the real libraries print them.
const (
	dialectBrowser   = iota // the browser SDK: Lore's own column names
	dialectPino             // Node pino: numeric level, time epoch ms, msg, pid, hostname
	dialectZap              // Go zap production config: level, ts float seconds, caller, msg
	dialectWinston          // Node winston json: level, message, timestamp ISO
	dialectZerolog          // Go zerolog: level, time RFC 3339, message
	dialectStructlog        // Python structlog JSONRenderer: event, level, timestamp ISO
)

func dialectOf(service string) int {
	switch service {
	case svcWeb:
		return dialectBrowser
	case svcGateway:
		return dialectPino
	case svcCatalog:
		return dialectWinston
	case svcPayment:
		return dialectZerolog
	case svcEmail:
		return dialectStructlog
	default:
		return dialectZap
	}
}

// appendLine appends r as one JSON line in its service's dialect.
func appendLine(b []byte, r *rec) []byte {
	e := &r.ev
	d := dialectOf(e.Service)
	b = append(b, '{')
	switch d {
	case dialectBrowser:
		b = append(b, `"kind":`...)
		b = event.AppendJSONString(b, e.Kind)
		b = appendField(b, "level", e.Level)
		b = append(b, `,"timestamp":"`...)
		b = time.UnixMicro(e.TS).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, '"')
	case dialectPino:
		b = append(b, `"level":`...)
		b = strconv.AppendInt(b, pinoLevel(e.Level), 10)
		b = append(b, `,"time":`...)
		b = strconv.AppendInt(b, e.TS/1000, 10)
		b = append(b, `,"pid":`...)
		b = strconv.AppendInt(b, int64(7+len(e.Host)), 10)
		b = append(b, `,"hostname":`...)
		b = event.AppendJSONString(b, e.Host)
	case dialectZap:
		b = append(b, `"level":`...)
		b = event.AppendJSONString(b, e.Level)
		b = append(b, `,"ts":`...)
		b = strconv.AppendInt(b, e.TS/1e6, 10)
		b = append(b, '.')
		b = appendPadded(b, e.TS%1e6, 6)
		b = append(b, `,"caller":`...)
		b = event.AppendJSONString(b, zapCaller(e))
	case dialectWinston, dialectZerolog, dialectStructlog:
		b = append(b, `"level":`...)
		b = event.AppendJSONString(b, e.Level)
	}
	b = append(b, `,"service":`...)
	b = event.AppendJSONString(b, e.Service)
	b = appendField(b, "env", e.Env)
	b = appendField(b, "release", e.Release)
	if d != dialectPino {
		b = appendField(b, "host", e.Host)
	}
	traceKey, spanKey := "trace_id", "span_id"
	if d == dialectPino {
		traceKey, spanKey = "traceId", "spanId"
	}
	if !e.TraceID.IsZero() {
		b = append(b, ',', '"')
		b = append(b, traceKey...)
		b = append(b, `":"`...)
		b = appendHex(b, e.TraceID[:])
		b = append(b, '"')
	}
	if !e.SpanID.IsZero() {
		b = append(b, ',', '"')
		b = append(b, spanKey...)
		b = append(b, `":"`...)
		b = appendHex(b, e.SpanID[:])
		b = append(b, '"')
	}
	b = appendField(b, "user_id", e.UserID)
	b = appendField(b, "anonymous_id", e.AnonymousID)
	b = appendField(b, "session_id", e.SessionID)
	b = appendField(b, "request_id", e.RequestID)
	b = appendField(b, "name", e.Name)
	b = appendField(b, "http_method", e.HTTPMethod)
	b = appendField(b, "endpoint", e.Endpoint)
	if e.HTTPStatus != 0 {
		b = append(b, `,"http_status":`...)
		b = strconv.AppendInt(b, int64(e.HTTPStatus), 10)
	}
	if e.DurationMS != 0 {
		b = append(b, `,"duration_ms":`...)
		b = strconv.AppendFloat(b, e.DurationMS, 'f', 3, 64)
	}
	b = appendField(b, "error_type", e.ErrorType)
	if e.RetryAttempt != 0 {
		b = append(b, `,"retry_attempt":`...)
		b = strconv.AppendInt(b, int64(e.RetryAttempt), 10)
	}
	for _, a := range e.Attributes {
		b = appendField(b, a.Key, a.Value)
	}
	switch d {
	case dialectBrowser:
		if e.Kind == event.KindLog {
			b = appendField(b, "message", e.Message)
		}
	case dialectPino, dialectZap:
		b = appendField(b, "msg", e.Message)
	case dialectWinston:
		b = appendField(b, "message", e.Message)
		b = append(b, `,"timestamp":"`...)
		b = time.UnixMicro(e.TS).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z")
		b = append(b, '"')
	case dialectZerolog:
		b = append(b, `,"time":"`...)
		b = time.UnixMicro(e.TS).UTC().AppendFormat(b, "2006-01-02T15:04:05.000Z07:00")
		b = append(b, '"')
		b = appendField(b, "message", e.Message)
	case dialectStructlog:
		b = appendField(b, "logger", "email_worker.tasks")
		b = append(b, `,"timestamp":"`...)
		b = time.UnixMicro(e.TS).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
		b = append(b, '"')
		b = appendField(b, "event", e.Message)
	}
	return append(b, '}', '\n')
}

func pinoLevel(level string) int64 {
	switch level {
	case event.LevelDebug:
		return 20
	case event.LevelWarn:
		return 40
	case event.LevelError:
		return 50
	case event.LevelFatal:
		return 60
	default:
		return 30
	}
}

func zapCaller(e *event.Event) string {
	switch {
	case e.Name == "db_query":
		return "store/postgres.go:141"
	case e.HTTPStatus != 0 && e.Name == "":
		return "httpserver/middleware.go:58"
	default:
		return "app/handlers.go:" + strconv.Itoa(90+len(e.Name))
	}
}

// appendField appends ,"key":"value" unless value is empty.
func appendField(b []byte, key, value string) []byte {
	if value == "" {
		return b
	}
	b = append(b, ',')
	b = event.AppendJSONString(b, key)
	b = append(b, ':')
	return event.AppendJSONString(b, value)
}

func appendPadded(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

const hexDigits = "0123456789abcdef"

func appendHex(b []byte, p []byte) []byte {
	for _, c := range p {
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}
