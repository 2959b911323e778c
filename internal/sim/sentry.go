package sim

import (
	"bytes"
	"context"
	"fmt"
	"github.com/lore-dev/lore/internal/exception"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/native"
)

// SentrySink wraps a Sink so that the backend reports its unhandled
// exceptions the way a real application does: through the Sentry SDK
// (github.com/getsentry/sentry-go, unmodified) to a DSN, instead of logging
// them. Every other body passes through unchanged, so the Workload and the
// Truth stay the same; only the route the exceptions take differs.
//
// An unhandled exception is a log line at level error with an "error.stack"
// attribute (the bad release's, see BadRelease). It becomes a Sentry event
// with the line's time, service (tag), release, environment, host, user,
// trace and span, request and the exception with its parsed frames.
type SentrySink struct {
	next   Sink
	client *sentry.Client
}

var _ Sink = (*SentrySink)(nil)

// NewSentrySink reports exceptions to dsn (http://KEY@HOST:PORT/PROJECT)
// with a synchronous transport, so that none is dropped by a full queue,
// and sends everything else to next.
func NewSentrySink(next Sink, dsn string) (*SentrySink, error) {
	tr := sentry.NewHTTPSyncTransport()
	tr.Timeout = 30 * time.Second
	c, err := sentry.NewClient(sentry.ClientOptions{Dsn: dsn, Transport: tr, SampleRate: 1})
	if err != nil {
		return nil, fmt.Errorf("sentry client for %q: %w", dsn, err)
	}
	return &SentrySink{next: next, client: c}, nil
}

// Spans passes the body through.
func (s *SentrySink) Spans(ctx context.Context, otlpProtobuf []byte) error {
	return s.next.Spans(ctx, otlpProtobuf)
}

// Logs reports the body's unhandled exceptions through sentry-go and sends
// the other lines on.
func (s *SentrySink) Logs(ctx context.Context, ndjson []byte) error {
	if !bytes.Contains(ndjson, []byte(`"error.stack"`)) {
		return s.next.Logs(ctx, ndjson)
	}
	kept := make([]byte, 0, len(ndjson))
	for line := range bytes.Lines(ndjson) {
		if !bytes.Contains(line, []byte(`"error.stack"`)) {
			kept = append(kept, line...)
			continue
		}
		res := native.Decode(line, native.Options{})
		if len(res.Events) != 1 || res.Events[0].Level != event.LevelError {
			kept = append(kept, line...)
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		s.client.CaptureEvent(sentryEvent(&res.Events[0]), nil, nil)
	}
	if len(kept) == 0 {
		return nil
	}
	return s.next.Logs(ctx, kept)
}

// Close waits for reports in flight and stops the client.
func (s *SentrySink) Close() {
	s.client.Flush(30 * time.Second)
	s.client.Close()
}

func sentryEvent(e *event.Event) *sentry.Event {
	ev := sentry.NewEvent()
	ev.Level = sentry.LevelError
	ev.Platform = "node"
	ev.Timestamp = e.Time()
	ev.Release, ev.Environment, ev.ServerName = e.Release, e.Env, e.Host
	ev.Tags = map[string]string{"service": e.Service}
	ev.User = sentry.User{ID: e.UserID}
	if !e.TraceID.IsZero() {
		ev.Contexts["trace"] = sentry.Context{"trace_id": e.TraceID.String(), "span_id": e.SpanID.String()}
	}
	path := e.Endpoint
	if p, ok := e.Attr("url.path"); ok {
		path = p
	}
	if path != "" {
		ev.Request = &sentry.Request{Method: e.HTTPMethod, URL: "http://" + e.Service + path}
	}
	stack, _ := e.Attr("error.stack")
	var frames []sentry.Frame
	for _, f := range exception.ParseStack(stack) {
		frames = append(frames, sentry.Frame{Function: f.Function, Module: f.Module, Filename: f.Filename,
			AbsPath: f.Filename, Lineno: f.Lineno, InApp: f.InApp})
	}
	value := strings.TrimPrefix(e.Message, e.ErrorType+": ")
	ev.Exception = []sentry.Exception{{Type: e.ErrorType, Value: value, Stacktrace: &sentry.Stacktrace{Frames: frames}}}
	return ev
}

// Capture passes product events on when the wrapped sink takes them.
func (s *SentrySink) Capture(ctx context.Context, batch []byte) error {
	if c, ok := s.next.(CaptureSink); ok {
		return c.Capture(ctx, batch)
	}
	return fmt.Errorf("sink %T does not take captured product events", s.next)
}

var _ CaptureSink = (*SentrySink)(nil)
