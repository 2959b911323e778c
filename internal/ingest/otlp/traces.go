package otlp

import (
	"fmt"
	"strconv"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"

	"github.com/lore-dev/lore/internal/event"
)

// DecodeTraces decodes an OTLP/HTTP ExportTraceServiceRequest body (already
// decompressed) in the encoding its content type names, and turns every span
// into an event of kind span:
//
//   - Name is the span name, TS its start, DurationMS end minus start in
//     milliseconds; TraceID, SpanID and ParentSpanID are the span's ids.
//   - Level is error when the status code is ERROR, with Message the status
//     message (or the exception message, or "<name> failed"); info otherwise.
//   - The span kind is the attribute span.kind (server, client, producer,
//     consumer, internal) and the scope name the attribute otel.scope.name.
//   - HTTP, user, session and retry attributes of the semantic conventions
//     become columns (see attrMapper); error.type becomes ErrorType when no
//     exception says more.
//   - An "exception" span event gives ErrorType and Message from
//     exception.type and exception.message, and keeps exception.stacktrace
//     (and its other attributes) as attributes; with several, the last wins.
//   - Any other span event named N is kept as the attribute event.N (its
//     offset from the span start in milliseconds) and event.N.K for each of
//     its attributes K; when N occurs more than once, the first is kept and
//     event.N.count says how many there were.
//
// A span without a valid trace id (16 bytes, not all zero) or span id (8
// bytes, not all zero), or with a parent span id of the wrong length, is
// skipped and counted in rejected. err is set only when the body cannot be
// decoded at all.
func DecodeTraces(body []byte, contentType string, opts Options) (events []event.Event, rejected int, err error) {
	enc, err := ParseContentType(contentType)
	if err != nil {
		return nil, 0, err
	}
	var req coltracepb.ExportTraceServiceRequest
	rejected, err = unmarshal(body, enc, &req, fixTraceIDs)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot decode traces: %w", err)
	}
	events, bad := TraceEvents(&req, opts)
	return events, rejected + bad, nil
}

// TraceEvents turns a decoded export request (as OTLP/gRPC receives it)
// into events, as DecodeTraces does; rejected counts the spans with
// invalid ids.
func TraceEvents(req *coltracepb.ExportTraceServiceRequest, opts Options) (events []event.Event, rejected int) {
	n := 0
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			n += len(ss.GetSpans())
		}
	}
	events = make([]event.Event, 0, n)
	for _, rs := range req.GetResourceSpans() {
		ri := readResource(rs.GetResource())
		for _, ss := range rs.GetScopeSpans() {
			scope := ss.GetScope().GetName()
			for _, sp := range ss.GetSpans() {
				e, ok := spanEvent(sp, &ri, scope, opts)
				if !ok {
					rejected++
					continue
				}
				events = append(events, e)
			}
		}
	}
	return events, rejected
}

// TracesResponse encodes the ExportTraceServiceResponse for a request of the
// given content type: full success when rejected is 0 and msg empty,
// otherwise partial_success with rejected_spans and error_message.
func TracesResponse(contentType string, rejected int, msg string) (body []byte, respContentType string) {
	resp := &coltracepb.ExportTraceServiceResponse{}
	if rejected > 0 || msg != "" {
		resp.PartialSuccess = &coltracepb.ExportTracePartialSuccess{RejectedSpans: int64(rejected), ErrorMessage: msg}
	}
	return marshalResponse(contentType, resp)
}

// spanKind names a span kind as the span.kind attribute holds it, or ""
// when unspecified or unknown.
func spanKind(k tracepb.Span_SpanKind) string {
	switch k {
	case tracepb.Span_SPAN_KIND_INTERNAL:
		return "internal"
	case tracepb.Span_SPAN_KIND_SERVER:
		return "server"
	case tracepb.Span_SPAN_KIND_CLIENT:
		return "client"
	case tracepb.Span_SPAN_KIND_PRODUCER:
		return "producer"
	case tracepb.Span_SPAN_KIND_CONSUMER:
		return "consumer"
	}
	return ""
}

func spanEvent(sp *tracepb.Span, ri *resourceInfo, scope string, opts Options) (event.Event, bool) {
	e := event.Event{ProjectID: opts.ProjectID, ReceivedAt: opts.Now, Kind: event.KindSpan, Name: sp.GetName()}
	if !copyID(e.TraceID[:], sp.GetTraceId(), false) || e.TraceID.IsZero() ||
		!copyID(e.SpanID[:], sp.GetSpanId(), false) || e.SpanID.IsZero() ||
		!copyID(e.ParentSpanID[:], sp.GetParentSpanId(), true) {
		return e, false
	}
	start, end := sp.GetStartTimeUnixNano(), sp.GetEndTimeUnixNano()
	switch {
	case start != 0:
		e.TS = nanosToMicros(start)
	case end != 0:
		e.TS = nanosToMicros(end)
	default:
		e.TS = opts.Now
	}
	if start != 0 && end > start {
		e.DurationMS = float64(end-start) / 1e6
	}

	ri.apply(&e)
	m := attrMapper{e: &e}
	if scope != "" {
		m.keep(attrScopeName, scope)
	}
	if k := spanKind(sp.GetKind()); k != "" {
		m.keep(attrSpanKind, k)
	}
	m.add(sp.GetAttributes())
	spanEvents(&m, sp.GetEvents(), start)
	m.finish()

	failed := sp.GetStatus().GetCode() == tracepb.Status_STATUS_CODE_ERROR
	exMsg := m.exceptionMessage
	switch {
	case failed && sp.GetStatus().GetMessage() != "":
		e.Message = sp.GetStatus().GetMessage()
	case exMsg != "":
		e.Message, exMsg = exMsg, ""
	case failed:
		e.Message = sp.GetName() + " failed"
	}
	if exMsg != "" {
		m.keep(attrExceptionMessage, exMsg)
	}
	e.Level = event.LevelInfo
	if failed {
		e.Level = event.LevelError
	}
	return e, true
}

// spanEvents maps the events of a span; see DecodeTraces.
func spanEvents(m *attrMapper, evs []*tracepb.Span_Event, start uint64) {
	var exception *tracepb.Span_Event
	var seen map[string]int
	for _, ev := range evs {
		name := ev.GetName()
		if name == "exception" {
			exception = ev
			continue
		}
		if seen == nil {
			seen = make(map[string]int, len(evs))
		}
		seen[name]++
		if seen[name] > 1 {
			continue
		}
		prefix := "event." + name
		offset := ""
		if t := ev.GetTimeUnixNano(); start != 0 && t >= start {
			offset = formatFloat(float64(t-start) / 1e6)
		}
		m.keep(prefix, offset)
		for _, kv := range ev.GetAttributes() {
			m.keep(prefix+"."+kv.GetKey(), renderValue(kv.GetValue()))
		}
	}
	for _, ev := range evs {
		if n := seen[ev.GetName()]; n > 1 {
			m.keep("event."+ev.GetName()+".count", strconv.Itoa(n))
			seen[ev.GetName()] = 0
		}
	}
	if exception == nil {
		return
	}
	for _, kv := range exception.GetAttributes() {
		v := renderValue(kv.GetValue())
		switch kv.GetKey() {
		case attrExceptionType:
			if v != "" {
				m.e.ErrorType = v // and kept as an attribute: it marks an exception
			}
		case attrExceptionMessage:
			if v != "" {
				if m.exceptionMessage != "" && m.exceptionMessage != v {
					m.keep(attrExceptionMessage, m.exceptionMessage)
				}
				m.exceptionMessage = v
				continue
			}
		}
		m.keep(kv.GetKey(), v)
	}
}

// copyID copies an id of len(dst) bytes from src; an empty src is accepted
// (leaving dst zero) only when optional.
func copyID(dst, src []byte, optional bool) bool {
	if len(src) == 0 {
		return optional
	}
	if len(src) != len(dst) {
		return false
	}
	copy(dst, src)
	return true
}

func nanosToMicros(ns uint64) int64 { return int64(ns / 1000) }
