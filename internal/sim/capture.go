package sim

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// PathCapture is where the browser SDK sends its batches.
const PathCapture = "/batch/"

// CaptureSink is a Sink that also takes product events in the browser
// SDK's wire format (sdk/js: PostHog's batch format, the key in the body).
// A Shop whose Config.CaptureBrowser is set sends its browser's page views
// and product events that way; its browser logs and the backend's records
// still go through Logs and Spans.
type CaptureSink interface {
	Sink
	// Capture sends batch, a JSON array of SDK events, as POST /batch/.
	Capture(ctx context.Context, batch []byte) error
}

var _ CaptureSink = (*HTTPSink)(nil)

// Capture posts batch to /batch/ with the ingest key in the body, as the
// browser SDK does.
func (h *HTTPSink) Capture(ctx context.Context, batch []byte) error {
	body := make([]byte, 0, len(batch)+64)
	body = append(body, `{"api_key":`...)
	body = event.AppendJSONString(body, h.key)
	body = append(body, `,"batch":`...)
	body = append(body, batch...)
	body = append(body, '}')
	return h.post(ctx, PathCapture, "application/json", body)
}

// captured reports whether r is a browser product event the SDK would send.
func captured(r *rec) bool {
	return !r.span && r.ev.Service == svcWeb && (r.ev.Kind == event.KindEvent || r.ev.Kind == event.KindPageview)
}

// appendCapture appends r as one SDK event: "$pageview" or the event's
// name; distinct_id the user id once known, else the device's anonymous
// id (with $anon_distinct_id linking them); the page in $pathname; the
// action's trace as traceparent; the attributes as properties.
func appendCapture(b []byte, r *rec) []byte {
	e := &r.ev
	name := e.Name
	if e.Kind == event.KindPageview {
		name = "$pageview"
	}
	distinct := e.UserID
	if distinct == "" {
		distinct = e.AnonymousID
	}
	b = append(b, `{"event":`...)
	b = event.AppendJSONString(b, name)
	b = append(b, `,"distinct_id":`...)
	b = event.AppendJSONString(b, distinct)
	b = append(b, `,"timestamp":"`...)
	b = time.UnixMicro(e.TS).UTC().AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, `","properties":{"$is_identified":`...)
	b = strconv.AppendBool(b, e.UserID != "")
	b = appendField(b, "$device_id", e.AnonymousID)
	if e.UserID != "" {
		b = appendField(b, "$anon_distinct_id", e.AnonymousID)
	}
	b = appendField(b, "$session_id", e.SessionID)
	b = appendField(b, "$pathname", e.Endpoint)
	b = appendField(b, "$app_version", e.Release)
	b = appendField(b, "service", e.Service)
	b = appendField(b, "env", e.Env)
	if !e.TraceID.IsZero() {
		b = appendField(b, "traceparent", "00-"+e.TraceID.String()+"-"+spanHex(e.SpanID)+"-01")
	}
	for _, a := range e.Attributes {
		b = appendField(b, a.Key, a.Value)
	}
	return append(b, "}}"...)
}

func spanHex(s event.SpanID) string {
	if s.IsZero() {
		return "0000000000000000"
	}
	return s.String()
}

// captureVia sends the browser's product events to sink's Capture when it
// is a CaptureSink (otherwise nothing changes).
func (b *batcher) captureVia(sink Sink) {
	if cs, ok := sink.(CaptureSink); ok {
		b.capture = cs
	}
}

func (b *batcher) addCapture(ctx context.Context, r *rec) error {
	if b.ncaps == 0 {
		b.caps = append(b.caps[:0], '[')
	} else {
		b.caps = append(b.caps, ',')
	}
	b.caps = appendCapture(b.caps, r)
	b.ncaps++
	if b.ncaps >= b.max {
		return b.flushCapture(ctx)
	}
	return nil
}

func (b *batcher) flushCapture(ctx context.Context) error {
	if b.ncaps == 0 {
		return nil
	}
	body := append(b.caps, ']')
	b.caps = make([]byte, 0, cap(body))
	b.ncaps = 0
	if err := b.capture.Capture(ctx, body); err != nil {
		return fmt.Errorf("send %d bytes of SDK events: %w", len(body), err)
	}
	return nil
}
