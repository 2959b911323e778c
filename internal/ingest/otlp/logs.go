package otlp

import (
	"fmt"
	"strings"

	collogspb "go.opentelemetry.io/proto/otlp/collector/logs/v1"
	logspb "go.opentelemetry.io/proto/otlp/logs/v1"

	"github.com/lore-dev/lore/internal/event"
)

// DecodeLogs decodes an OTLP/HTTP ExportLogsServiceRequest body (already
// decompressed) in the encoding its content type names, and turns every log
// record into an event of kind log (whether a log is also an error is decided
// later, not here):
//
//   - TS is time_unix_nano, else observed_time_unix_nano, else opts.Now.
//   - Level comes from severity_number (1–8 debug, 9–12 info, 13–16 warn,
//     17–20 error, 21–24 fatal), else from severity_text; a text that names
//     no level is kept as the attribute otel.severity_text.
//   - Message is the body: a string as it is, any other value as compact
//     JSON; without a body, the exception.message attribute.
//   - Name is event_name, else the event.name attribute.
//   - TraceID and SpanID are the record's; attributes map as for spans
//     (exception.type → ErrorType, http.*, user.id, session.id, …), and the
//     scope name is the attribute otel.scope.name.
//
// A record whose trace id is not 16 bytes or span id not 8 bytes (when set)
// is skipped and counted in rejected. err is set only when the body cannot be
// decoded at all.
func DecodeLogs(body []byte, contentType string, opts Options) (events []event.Event, rejected int, err error) {
	enc, err := ParseContentType(contentType)
	if err != nil {
		return nil, 0, err
	}
	var req collogspb.ExportLogsServiceRequest
	rejected, err = unmarshal(body, enc, &req, fixLogIDs)
	if err != nil {
		return nil, 0, fmt.Errorf("cannot decode logs: %w", err)
	}
	events, bad := LogEvents(&req, opts)
	return events, rejected + bad, nil
}

// LogEvents turns a decoded export request (as OTLP/gRPC receives it) into
// events, as DecodeLogs does; rejected counts the records with invalid ids.
func LogEvents(req *collogspb.ExportLogsServiceRequest, opts Options) (events []event.Event, rejected int) {
	n := 0
	for _, rl := range req.GetResourceLogs() {
		for _, sl := range rl.GetScopeLogs() {
			n += len(sl.GetLogRecords())
		}
	}
	events = make([]event.Event, 0, n)
	for _, rl := range req.GetResourceLogs() {
		ri := readResource(rl.GetResource())
		for _, sl := range rl.GetScopeLogs() {
			scope := sl.GetScope().GetName()
			for _, rec := range sl.GetLogRecords() {
				e, ok := logEvent(rec, &ri, scope, opts)
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

// LogsResponse encodes the ExportLogsServiceResponse for a request of the
// given content type: full success when rejected is 0 and msg empty,
// otherwise partial_success with rejected_log_records and error_message.
func LogsResponse(contentType string, rejected int, msg string) (body []byte, respContentType string) {
	resp := &collogspb.ExportLogsServiceResponse{}
	if rejected > 0 || msg != "" {
		resp.PartialSuccess = &collogspb.ExportLogsPartialSuccess{RejectedLogRecords: int64(rejected), ErrorMessage: msg}
	}
	return marshalResponse(contentType, resp)
}

func logEvent(rec *logspb.LogRecord, ri *resourceInfo, scope string, opts Options) (event.Event, bool) {
	e := event.Event{ProjectID: opts.ProjectID, ReceivedAt: opts.Now, Kind: event.KindLog}
	if !copyID(e.TraceID[:], rec.GetTraceId(), true) || !copyID(e.SpanID[:], rec.GetSpanId(), true) {
		return e, false
	}
	switch {
	case rec.GetTimeUnixNano() != 0:
		e.TS = nanosToMicros(rec.GetTimeUnixNano())
	case rec.GetObservedTimeUnixNano() != 0:
		e.TS = nanosToMicros(rec.GetObservedTimeUnixNano())
	default:
		e.TS = opts.Now
	}
	e.Name = rec.GetEventName()
	e.Message = renderValue(rec.GetBody())

	ri.apply(&e)
	m := attrMapper{e: &e, eventName: true}
	if scope != "" {
		m.keep(attrScopeName, scope)
	}
	e.Level = severityLevel(rec.GetSeverityNumber())
	if e.Level == "" {
		e.Level = severityTextLevel(rec.GetSeverityText())
		if e.Level == "" && rec.GetSeverityText() != "" {
			m.keep("otel.severity_text", rec.GetSeverityText())
		}
	}
	m.add(rec.GetAttributes())
	m.finish()
	if m.exceptionMessage != "" && !setOnce(&e.Message, m.exceptionMessage) {
		m.keep(attrExceptionMessage, m.exceptionMessage)
	}
	return e, true
}

// severityLevel maps an OTLP severity number to a level: the spec's ranges
// TRACE (1–4) and DEBUG (5–8) are both debug, then INFO, WARN, ERROR, FATAL.
func severityLevel(n logspb.SeverityNumber) string {
	switch {
	case n >= 1 && n <= 8:
		return event.LevelDebug
	case n >= 9 && n <= 12:
		return event.LevelInfo
	case n >= 13 && n <= 16:
		return event.LevelWarn
	case n >= 17 && n <= 20:
		return event.LevelError
	case n >= 21 && n <= 24:
		return event.LevelFatal
	}
	return ""
}

// severityTextLevel maps the severity text loggers commonly send (the OTel
// short names, syslog's, log4j's, .NET's) to a level, or "" when it names none.
func severityTextLevel(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	// OTel short names may carry a digit: "INFO2", "ERROR3".
	s = strings.TrimRight(s, "1234")
	switch s {
	case "trace", "debug", "verbose", "dbug", "trc", "dbg":
		return event.LevelDebug
	case "info", "information", "informational", "notice", "inf":
		return event.LevelInfo
	case "warn", "warning", "wrn":
		return event.LevelWarn
	case "error", "err", "eror", "severe":
		return event.LevelError
	case "fatal", "critical", "crit", "emerg", "emergency", "alert", "panic", "ftl":
		return event.LevelFatal
	}
	return ""
}
