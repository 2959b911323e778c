package journey

import (
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// Builders for hand-written event sequences. Times are "15:04:05.000" on
// 2026-11-20 UTC unless a full RFC 3339 time is given.

type opt func(*event.Event)

var storyDay = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)

func micros(ts string) int64 {
	if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
		return t.UnixMicro()
	}
	t, err := time.Parse("15:04:05.000", ts)
	if err != nil {
		t, err = time.Parse("15:04:05", ts)
		if err != nil {
			panic(err)
		}
	}
	return storyDay.Add(time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute +
		time.Duration(t.Second())*time.Second + time.Duration(t.Nanosecond())).UnixMicro()
}

func ev(ts, service, kind string, opts ...opt) event.Event {
	e := event.Event{ProjectID: 1, TS: micros(ts), Service: service, Kind: kind, Level: event.LevelInfo}
	if kind == event.KindEvent || kind == event.KindPageview {
		e.Level = ""
	}
	for _, o := range opts {
		o(&e)
	}
	return e
}

func name(n string) opt     { return func(e *event.Event) { e.Name = n } }
func msg(m string) opt      { return func(e *event.Event) { e.Message = m } }
func level(l string) opt    { return func(e *event.Event) { e.Level = l } }
func user(u string) opt     { return func(e *event.Event) { e.UserID = u } }
func anon(a string) opt     { return func(e *event.Event) { e.AnonymousID = a } }
func session(s string) opt  { return func(e *event.Event) { e.SessionID = s } }
func reqID(r string) opt    { return func(e *event.Event) { e.RequestID = r } }
func dur(ms float64) opt    { return func(e *event.Event) { e.DurationMS = ms } }
func errType(t string) opt  { return func(e *event.Event) { e.ErrorType = t } }
func retry(n int32) opt     { return func(e *event.Event) { e.RetryAttempt = n } }
func status(c int32) opt    { return func(e *event.Event) { e.HTTPStatus = c } }
func endpoint(p string) opt { return func(e *event.Event) { e.Endpoint = p } }

func http(method, path string, code int32) opt {
	return func(e *event.Event) { e.HTTPMethod, e.Endpoint, e.HTTPStatus = method, path, code }
}

func attr(k, v string) opt {
	return func(e *event.Event) { e.Attributes = append(e.Attributes, event.Attr{Key: k, Value: v}) }
}

// trace sets the trace id to one made of n; span and parent likewise.
func trace(n byte) opt { return func(e *event.Event) { e.TraceID = event.TraceID{15: n, 0: 0xab} } }
func span(n byte) opt  { return func(e *event.Event) { e.SpanID = event.SpanID{7: n, 0: 0xcd} } }
func parent(n byte) opt {
	return func(e *event.Event) { e.ParentSpanID = event.SpanID{7: n, 0: 0xcd} }
}

// all applies several options, to share them between events.
func all(opts ...opt) opt {
	return func(e *event.Event) {
		for _, o := range opts {
			o(e)
		}
	}
}
