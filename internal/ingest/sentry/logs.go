package sentry

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/lore-dev/lore/internal/event"
)

// logItem is one entry of a "log" envelope item, as SDKs with logs enabled
// send them: {"items": [{timestamp, trace_id, span_id, level, body,
// attributes: {key: {value, type}}}]}.
type logItem struct {
	Timestamp  json.RawMessage `json:"timestamp"`
	TraceID    string          `json:"trace_id"`
	SpanID     string          `json:"span_id"`
	Level      string          `json:"level"`
	Body       string          `json:"body"`
	Attributes map[string]struct {
		Value any `json:"value"`
	} `json:"attributes"`
}

// maxLogItems bounds the entries of one log item.
const maxLogItems = 10_000

// decodeLogs turns a "log" item into events of kind log. Sentry's own
// attributes give the release, environment, host, user and service.
func decodeLogs(b []byte, opts Options) ([]event.Event, error) {
	var p struct {
		Items []logItem `json:"items"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(b), &p); err != nil {
		return nil, fmt.Errorf("cannot parse log payload: %v", err)
	}
	if len(p.Items) > maxLogItems {
		return nil, fmt.Errorf("log item has %d entries (max %d)", len(p.Items), maxLogItems)
	}
	out := make([]event.Event, 0, len(p.Items))
	for i, it := range p.Items {
		e := event.Event{ProjectID: opts.ProjectID, ReceivedAt: opts.Now, TS: opts.Now, Kind: event.KindLog, Message: it.Body}
		if ts, ok, err := parseTS(it.Timestamp); err != nil {
			return nil, fmt.Errorf("log entry %d: bad timestamp %s", i, clip(it.Timestamp))
		} else if ok {
			e.TS = ts
		}
		e.Level = logLevel(it.Level)
		e.TraceID, _ = event.ParseTraceID(it.TraceID)
		e.SpanID, _ = event.ParseSpanID(it.SpanID)
		sdk := ""
		for _, k := range sortedKeys(it.Attributes) {
			v := str(it.Attributes[k].Value)
			switch k {
			case "sentry.trace.parent_span_id":
				// v2 log items name the span they were logged in here.
				if id, ok := event.ParseSpanID(v); ok && e.SpanID.IsZero() {
					e.SpanID = id
				}
			case "sentry.sdk.name":
				sdk = v
			case "sentry.sdk.version", "sentry.timestamp.sequence":
			case "sentry.release":
				e.Release = v
			case "sentry.environment":
				e.Env = v
			case "server.address":
				e.Host = v
			case "user.id":
				e.UserID = v
			case "service", "service.name":
				e.Service = v
			default:
				e.Attributes = appendAttr(e.Attributes, k, v)
			}
		}
		if e.Service == "" {
			e.Service = defaultService(e.Release, sdk)
		}
		out = append(out, e)
	}
	return out, nil
}

func logLevel(s string) string {
	switch trimLower(s) {
	case "trace", "debug":
		return event.LevelDebug
	case "warn", "warning":
		return event.LevelWarn
	case "error":
		return event.LevelError
	case "fatal":
		return event.LevelFatal
	}
	return event.LevelInfo
}
