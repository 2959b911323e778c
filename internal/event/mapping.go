package event

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Mapper fills one Event from fields named as common loggers and
// conventions name them, so that every adapter maps the same spellings the
// same way. Keys are flattened, dotted names ("http.status_code" for
// {"http":{"status_code":…}}); values are strings (numbers in their JSON
// text, bools as true/false). Use it as
//
//	var m event.Mapper
//	m.Reset(&e)
//	for each field { if err := m.Set(key, value); err != nil { reject } }
//	m.Finish()
//
// Fields that name no column, and values that do not fit the column their
// key names (a non-numeric "status", an unknown level word), become
// attributes under their own key: nothing is dropped. When two fields
// name the same column the more specific spelling wins ("message" over
// "body", "http.route" over "url") and the other is kept as an attribute.
//
// The recognised spellings are those of zap, zerolog, slog, logrus, pino,
// bunyan, winston, structlog, Serilog CLEF, Elastic Common Schema and the
// OpenTelemetry semantic conventions, the Event column names themselves and
// common variants; see lookup for the table. A Mapper is not safe for
// concurrent use; reuse one per goroutine to avoid allocations.
type Mapper struct {
	e *Event

	prio [numSlots]uint8
	key  [numSlots]string // key of the field that filled the slot (valid while prio > 0)
	val  [numSlots]string // its raw value

	template  string // Serilog @mt
	structEvt string // structlog "event"
	name      string // "name": event name, or bunyan/pino logger name
	nameKey   string
	errMsg    string // message fallback from error fields
	txID      string // ECS transaction.id: span id fallback
	bunyan    bool   // saw bunyan's "v" or a numeric pino level
	clef      bool   // saw an @-field of Serilog CLEF
	hasTS     bool
}

// ApplyField maps one field onto e, as a Mapper does for a whole record
// (see Mapper). It returns an error, wrapping ErrInvalidTime, only when a
// timestamp field cannot be parsed. Adapters that map several fields of
// one record should use a Mapper, which resolves fields that depend on
// each other (kind and structlog's event, @mt and its properties).
func ApplyField(e *Event, key, value string) error {
	m := Mapper{e: e}
	if err := m.Set(key, value); err != nil {
		return err
	}
	m.finish(false)
	return nil
}

// Reset starts mapping into e. e is not cleared: fields already set are
// kept unless a mapped field overwrites them.
func (m *Mapper) Reset(e *Event) {
	// Cleared field by field: key and val are only read where prio is
	// set, and leaving them saves clearing 46 strings per record.
	m.e = e
	m.prio = [numSlots]uint8{}
	if m.template != "" || m.structEvt != "" || m.nameKey != "" || m.errMsg != "" || m.txID != "" {
		m.template, m.structEvt, m.name, m.nameKey, m.errMsg, m.txID = "", "", "", "", "", ""
	}
	m.bunyan, m.clef, m.hasTS = false, false, false
}

// HasTime reports whether a timestamp field was mapped since Reset.
func (m *Mapper) HasTime() bool { return m.hasTS }

// slots: columns whose value is chosen among several spellings.
const (
	sMessage = iota
	sLevel
	sService
	sEnv
	sRelease
	sHost
	sTrace
	sSpan
	sParent
	sUser
	sAnon
	sSession
	sRequest
	sMethod
	sEndpoint
	sStatus
	sDuration
	sErrType
	sErrCode
	sFingerprint
	sRetry
	sKind
	sTS
	numSlots
)

// field kinds returned by lookup.
type fieldKind uint8

const (
	fAttr fieldKind = iota
	fTS
	fMessage
	fLevel     // level word, pino number, slog offset
	fLevelOTel // OpenTelemetry severity_number
	fLevelSys  // syslog severity number
	fKind
	fService
	fEnv
	fRelease
	fHost
	fTrace
	fSpan
	fParent
	fTraceparent
	fUser
	fAnon
	fSession
	fRequest
	fName
	fStructEvent
	fTemplate
	fException // Serilog @x
	fMethod
	fEndpoint
	fURL
	fStatus
	fDuration // unit in the lookup result
	fErrType
	fErrCode
	fErrMsg
	fFingerprint
	fRetry
	fTxID
	fBunyanV
	fCLEF // other @-fields: kept as attributes, mark the record as CLEF
)

// lookup names the column a key maps to, with the priority of that
// spelling among the keys of the same column, and for durations the unit
// of a bare number.
func lookup(key string) (fieldKind, uint8, string) {
	switch key {
	case "ts", "time", "timestamp", "@timestamp", "@t", "datetime", "date_time",
		"time_unix_nano", "timeUnixNano", "eventTime", "event_time", "Timestamp", "Time":
		return fTS, 1, ""
	case "msg", "message", "@m", "Message", "MESSAGE", "short_message", "log.message":
		return fMessage, 3, ""
	case "body", "Body":
		return fMessage, 2, ""
	case "log", "text":
		return fMessage, 1, ""
	case "level", "lvl", "log.level", "@l", "severity_text", "severityText", "levelname",
		"level_name", "log_level", "loglevel", "logLevel", "severity", "Level", "Severity", "LEVEL":
		return fLevel, 3, ""
	case "severity_number", "severityNumber":
		return fLevelOTel, 2, ""
	case "syslog.severity.code", "syslog_severity", "log.syslog.severity.code":
		return fLevelSys, 1, ""
	case "kind":
		return fKind, 1, ""
	case "service", "service.name", "service_name", "serviceName", "resource.service.name":
		return fService, 3, ""
	case "svc", "app", "application", "app_name", "appName":
		return fService, 2, ""
	case "env", "environment", "deployment.environment", "deployment.environment.name",
		"service.environment", "deployment_environment":
		return fEnv, 1, ""
	case "release", "service.version", "app_version", "appVersion", "version", "service_version":
		return fRelease, 1, ""
	case "host", "hostname", "host.name", "host.hostname", "host_name":
		return fHost, 1, ""
	case "trace_id", "traceId", "traceID", "trace.id", "traceid", "TraceId", "dd.trace_id_hex":
		return fTrace, 3, ""
	case "traceparent", "trace.parent", "trace_parent", "sentry-trace", "sentry_trace", "sentry.trace":
		return fTraceparent, 2, ""
	case "span_id", "spanId", "spanID", "span.id", "spanid", "SpanId":
		return fSpan, 3, ""
	case "parent_span_id", "parentSpanId", "parent_id", "parent.id", "parentSpanID", "ParentSpanId":
		return fParent, 1, ""
	case "transaction.id":
		return fTxID, 1, ""
	case "user_id", "userId", "userID", "user.id", "enduser.id", "uid", "UserId":
		return fUser, 1, ""
	case "anonymous_id", "anonymousId", "anonymousID", "anon_id", "distinct_id":
		return fAnon, 1, ""
	case "session_id", "sessionId", "sessionID", "session.id", "sid":
		return fSession, 1, ""
	case "request_id", "requestId", "requestID", "req_id", "reqId", "req.id",
		"http.request.id", "x_request_id", "x-request-id", "RequestId":
		return fRequest, 1, ""
	case "name", "event_name", "eventName", "event.name":
		return fName, 1, ""
	case "event":
		return fStructEvent, 1, ""
	case "@mt":
		return fTemplate, 1, ""
	case "@x":
		return fException, 1, ""
	case "@i", "@r", "@tr", "@sp":
		return fCLEF, 1, ""
	case "http_method", "method", "http.method", "http.request.method", "req.method",
		"request_method", "httpMethod", "request.method":
		return fMethod, 1, ""
	case "endpoint":
		return fEndpoint, 4, ""
	case "http.route", "route":
		return fEndpoint, 3, ""
	case "path", "url.path", "http.target", "http.path", "uri", "request_uri", "req.url",
		"request.path", "url.original":
		return fEndpoint, 2, ""
	case "url", "url.full", "http.url", "request.url":
		return fURL, 1, ""
	case "http_status", "status", "status_code", "statusCode", "http.status_code",
		"http.response.status_code", "res.statusCode", "response.status", "http_status_code",
		"response.status_code", "httpStatus":
		return fStatus, 1, ""
	case "event.duration":
		return fDuration, 1, "ns"
	case "responseTime", "response_time", "responsetime":
		return fDuration, 1, "ms"
	case "request_time", "upstream_response_time":
		return fDuration, 1, "s"
	case "error_type", "errorType", "error.type", "exception.type", "err.type", "error.kind", "error.class":
		return fErrType, 1, ""
	case "error_code", "errorCode", "error.code", "err.code":
		return fErrCode, 1, ""
	case "error", "err", "error.message", "err.message", "exception.message", "errorMessage", "error_message":
		return fErrMsg, 1, ""
	case "fingerprint":
		return fFingerprint, 1, ""
	case "retry_attempt", "retry", "attempt", "retry_count", "retryCount", "retries", "retryAttempt":
		return fRetry, 1, ""
	case "v":
		return fBunyanV, 1, ""
	}
	if unit, ok := durationKey(key); ok {
		return fDuration, 1, unit
	}
	return fAttr, 0, ""
}

// durationKey recognises duration, latency, elapsed, took, dur and
// duration_ms-style keys, and the unit their suffix names (default ms).
func durationKey(key string) (string, bool) {
	if len(key) < 3 || len(key) > 24 {
		return "", false
	}
	switch key[0] {
	case 'd', 'l', 'e', 't', 'r', 'D', 'E', 'L':
	default:
		return "", false
	}
	base, unit := key, "ms"
	for _, s := range [...]struct{ suffix, unit string }{
		{"_ms", "ms"}, {"Ms", "ms"}, {"_millis", "ms"}, {"_us", "us"}, {"Us", "us"}, {"_micros", "us"},
		{"_ns", "ns"}, {"Ns", "ns"}, {"_nanos", "ns"}, {"_s", "s"}, {"_sec", "s"}, {"_secs", "s"},
		{"_seconds", "s"}, {"Seconds", "s"},
	} {
		if strings.HasSuffix(key, s.suffix) {
			base, unit = key[:len(key)-len(s.suffix)], s.unit
			break
		}
	}
	switch base {
	case "duration", "latency", "elapsed", "took", "dur", "elapsed_time", "duration_time",
		"request_duration", "response_time", "Duration", "Elapsed", "Latency", "time_taken":
		return unit, true
	}
	return "", false
}

// Set maps one field. It returns an error wrapping ErrInvalidTime when key
// names the timestamp and value is not one; the record should then be
// rejected. Every other value is kept, as a column or an attribute.
func (m *Mapper) Set(key, value string) error {
	kind, prio, unit := lookup(key)
	if kind == fAttr {
		switch {
		case strings.HasPrefix(key, "attributes."):
			m.attr(key[len("attributes."):], value)
			return nil
		case strings.HasPrefix(key, "resource."):
			kind, prio, unit = lookup(key[len("resource."):])
		}
		if kind == fAttr {
			m.attr(key, value)
			return nil
		}
	}
	e := m.e
	switch kind {
	case fTS:
		if m.prio[sTS] > 0 {
			m.attr(key, value)
			return nil
		}
		us, err := ParseTime(value)
		if err != nil {
			return err
		}
		e.TS = us
		m.prio[sTS] = prio
		m.hasTS = true
		if key[0] == '@' {
			m.clef = true
		}
	case fMessage:
		if key == "@m" {
			m.clef = true
		}
		m.setString(sMessage, prio, key, value, &e.Message)
	case fLevel:
		if key == "@l" {
			m.clef = true
		}
		l, ok := NormalizeLevel(value)
		if !ok {
			m.attr(key, value)
			return nil
		}
		if value[0] >= '0' && value[0] <= '9' {
			m.bunyan = true
		}
		m.setString(sLevel, prio, key, l, &e.Level)
	case fLevelOTel, fLevelSys:
		n, err := strconv.Atoi(value)
		var l string
		ok := err == nil
		if ok && kind == fLevelOTel {
			l, ok = OTelSeverityLevel(n)
		} else if ok {
			l, ok = SyslogSeverityLevel(n)
		}
		if !ok {
			m.attr(key, value)
			return nil
		}
		m.setString(sLevel, prio, key, l, &e.Level)
	case fKind:
		if !ValidKind(value) {
			m.attr(key, value)
			return nil
		}
		m.setString(sKind, prio, key, value, &e.Kind)
	case fService:
		m.setString(sService, prio, key, value, &e.Service)
	case fEnv:
		m.setString(sEnv, prio, key, value, &e.Env)
	case fRelease:
		m.setString(sRelease, prio, key, value, &e.Release)
	case fHost:
		m.setString(sHost, prio, key, value, &e.Host)
	case fTrace:
		m.setTrace(prio, key, value)
	case fTraceparent:
		tr, sp, ok := ParseTraceHeader(value)
		if !ok {
			m.attr(key, value)
			return nil
		}
		if m.claim(sTrace, prio, key, value) {
			e.TraceID = tr
		}
		if m.claimQuiet(sSpan, prio, key, value) {
			e.SpanID = sp
		}
	case fSpan:
		if id, ok := m.spanID(key, value); ok && m.claim(sSpan, prio, key, value) {
			e.SpanID = id
		}
	case fParent:
		if id, ok := m.spanID(key, value); ok && m.claim(sParent, prio, key, value) {
			e.ParentSpanID = id
		}
	case fTxID:
		m.txID = value
		m.attr(key, value)
	case fUser:
		m.setString(sUser, prio, key, value, &e.UserID)
	case fAnon:
		m.setString(sAnon, prio, key, value, &e.AnonymousID)
	case fSession:
		m.setString(sSession, prio, key, value, &e.SessionID)
	case fRequest:
		m.setString(sRequest, prio, key, value, &e.RequestID)
	case fName:
		if m.nameKey != "" {
			m.attr(key, value)
			return nil
		}
		m.name, m.nameKey = value, key
	case fStructEvent:
		if m.structEvt != "" {
			m.attr(key, value)
			return nil
		}
		m.structEvt = value
	case fTemplate:
		m.clef = true
		m.template = value
		m.attr(key, value)
	case fException:
		m.clef = true
		m.attr(key, value)
		if t := exceptionType(value); t != "" && m.prio[sErrType] == 0 {
			m.setString(sErrType, 1, "", t, &e.ErrorType)
		}
		if m.errMsg == "" {
			m.errMsg = firstLine(value)
		}
	case fCLEF:
		m.clef = true
		m.attr(key, value)
	case fMethod:
		if !isToken(value) {
			m.attr(key, value)
			return nil
		}
		m.setString(sMethod, prio, key, strings.ToUpper(value), &e.HTTPMethod)
	case fEndpoint, fURL:
		p := value
		if kind == fURL {
			p = urlPath(p)
		}
		if i := strings.IndexByte(p, '?'); i >= 0 {
			p = p[:i]
		}
		if p == "" {
			m.attr(key, value)
			return nil
		}
		if m.setString(sEndpoint, prio, key, p, &e.Endpoint) && p != value {
			m.attr(key, value) // keep the query string and host
		}
	case fStatus:
		n, err := strconv.Atoi(value)
		if err != nil || n < 100 || n > 999 {
			m.attr(key, value)
			return nil
		}
		if m.claim(sStatus, prio, key, value) {
			e.HTTPStatus = int32(n)
		}
	case fDuration:
		ms, ok := ParseDurationMS(value, unit)
		if !ok {
			m.attr(key, value)
			return nil
		}
		if m.claim(sDuration, prio, key, value) {
			e.DurationMS = ms
		}
	case fErrType:
		m.setString(sErrType, prio, key, value, &e.ErrorType)
	case fErrCode:
		m.setString(sErrCode, prio, key, value, &e.ErrorCode)
	case fErrMsg:
		m.attr(key, value)
		if m.errMsg == "" {
			m.errMsg = value
		}
	case fFingerprint:
		m.setString(sFingerprint, prio, key, value, &e.Fingerprint)
	case fRetry:
		n, err := strconv.Atoi(value)
		if err != nil || n < 0 || n > 1<<30 {
			m.attr(key, value)
			return nil
		}
		if m.claim(sRetry, prio, key, value) {
			e.RetryAttempt = int32(n)
		}
	case fBunyanV:
		m.bunyan = true
		m.attr(key, value)
	}
	return nil
}

// claim takes slot s for a field of priority prio and reports whether the
// field won it. The loser — the new field, or the one it displaces — is
// kept as an attribute.
func (m *Mapper) claim(s int, prio uint8, key, value string) bool {
	if m.prio[s] >= prio && m.prio[s] > 0 {
		m.attr(key, value)
		return false
	}
	if m.prio[s] > 0 && m.key[s] != "" {
		m.attr(m.key[s], m.val[s])
	}
	m.prio[s], m.key[s], m.val[s] = prio, key, value
	return true
}

// claimQuiet is claim without keeping the loser: for the second column
// filled from one field (traceparent's span id).
func (m *Mapper) claimQuiet(s int, prio uint8, key, value string) bool {
	if m.prio[s] >= prio && m.prio[s] > 0 {
		return false
	}
	m.prio[s], m.key[s], m.val[s] = prio, key, value
	return true
}

func (m *Mapper) setString(s int, prio uint8, key, value string, dst *string) bool {
	if value == "" {
		return false
	}
	if !m.claim(s, prio, key, value) {
		return false
	}
	*dst = value
	return true
}

func (m *Mapper) setTrace(prio uint8, key, value string) {
	id, exact := ParseTraceID(value)
	if id.IsZero() {
		m.attr(key, value)
		return
	}
	if !m.claim(sTrace, prio, key, value) {
		return
	}
	m.e.TraceID = id
	if !exact {
		m.attr("trace_id.raw", value)
	}
}

func (m *Mapper) spanID(key, value string) (SpanID, bool) {
	id, exact := ParseSpanID(value)
	if id.IsZero() {
		m.attr(key, value)
		return id, false
	}
	if !exact {
		m.attr(key+".raw", value)
	}
	return id, true
}

func (m *Mapper) attr(key, value string) {
	m.e.Attributes = append(m.e.Attributes, Attr{Key: key, Value: value})
}

// Finish resolves the fields that depend on each other and fills defaults:
// Kind defaults to log; structlog's "event" is the event name when Kind is
// event or pageview and the message otherwise; "name" is the service for
// bunyan and pino records (which carry the logger name there) and the
// event name otherwise; Serilog's @mt is rendered into the message when
// @m is absent and @l defaults to info; an error field's message stands in
// for a missing message; ECS transaction.id stands in for a missing span id.
func (m *Mapper) Finish() { m.finish(true) }

func (m *Mapper) finish(defaults bool) {
	e := m.e
	if e.Kind == "" && defaults {
		e.Kind = KindLog
	}
	product := e.Kind == KindEvent || e.Kind == KindPageview
	if m.nameKey != "" {
		switch {
		case m.bunyan && !product && e.Service == "":
			e.Service = m.name
		case e.Name == "":
			e.Name = m.name
		default:
			m.attr(m.nameKey, m.name)
		}
	}
	if m.structEvt != "" {
		switch {
		case product && e.Name == "":
			e.Name = m.structEvt
		case !product && e.Message == "":
			e.Message = m.structEvt
		default:
			m.attr("event", m.structEvt)
		}
	}
	if m.template != "" && e.Message == "" {
		e.Message = m.renderTemplate(m.template)
	}
	if e.Message == "" && m.errMsg != "" {
		e.Message = m.errMsg
	}
	if m.clef && e.Level == "" && defaults {
		e.Level = LevelInfo
	}
	if m.txID != "" && e.SpanID.IsZero() {
		if id, exact := ParseSpanID(m.txID); exact {
			e.SpanID = id
		}
	}
}

// renderTemplate fills Serilog message-template holes ("{User}",
// "{@User}", "{$User}", "{Elapsed:000}", "{Count,5}") with the record's
// fields; holes with a format take CLEF's renderings ("@r") in order when
// the record has them; "{{" and "}}" are literal braces and holes without
// a field stay as written.
func (m *Mapper) renderTemplate(t string) string {
	var renderings []string
	if r, ok := m.e.Attr("@r"); ok {
		_ = json.Unmarshal([]byte(r), &renderings) // best effort: without them the raw values are used
	}
	var b strings.Builder
	for i := 0; i < len(t); i++ {
		c := t[i]
		if c == '}' && i+1 < len(t) && t[i+1] == '}' {
			b.WriteByte('}')
			i++
			continue
		}
		if c != '{' {
			b.WriteByte(c)
			continue
		}
		if i+1 < len(t) && t[i+1] == '{' {
			b.WriteByte('{')
			i++
			continue
		}
		end := strings.IndexByte(t[i:], '}')
		if end < 0 {
			b.WriteString(t[i:])
			break
		}
		hole := t[i+1 : i+end]
		name := strings.TrimLeft(hole, "@$")
		formatted := false
		if j := strings.IndexAny(name, ":,"); j >= 0 {
			formatted = name[j] == ':'
			name = name[:j]
		}
		if formatted && len(renderings) > 0 {
			b.WriteString(renderings[0])
			renderings = renderings[1:]
		} else if v, ok := m.field(name); ok {
			b.WriteString(v)
		} else {
			b.WriteString(t[i : i+end+1])
		}
		i += end
	}
	return b.String()
}

// field finds the value of the field name among the attributes and the
// fields mapped to columns.
func (m *Mapper) field(name string) (string, bool) {
	if v, ok := m.e.Attr(name); ok {
		return v, true
	}
	for s := range m.prio {
		if m.prio[s] > 0 && m.key[s] == name {
			return m.val[s], true
		}
	}
	switch name {
	case m.nameKey:
		return m.name, true
	case "event":
		if m.structEvt != "" {
			return m.structEvt, true
		}
	}
	// A structured property was flattened: render its dotted fields.
	prefix := name + "."
	var b strings.Builder
	for _, f := range m.e.Attributes {
		if strings.HasPrefix(f.Key, prefix) {
			if b.Len() > 0 {
				b.WriteString(", ")
			}
			b.WriteString(f.Key[len(prefix):])
			b.WriteString(": ")
			b.WriteString(f.Value)
		}
	}
	if b.Len() == 0 {
		return "", false
	}
	return "{ " + b.String() + " }", true
}

// exceptionType reads the type from an exception's text as .NET and Java
// print it: "System.InvalidOperationException: message\n   at …".
func exceptionType(s string) string {
	i := strings.IndexAny(s, ":\r\n")
	if i <= 0 || s[i] != ':' || i > 200 {
		return ""
	}
	t := s[:i]
	for j := 0; j < len(t); j++ {
		c := t[j]
		if !(c == '.' || c == '_' || c == '$' || c == '+' || c == '`' || (c >= '0' && c <= '9') ||
			(c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
			return ""
		}
	}
	return t
}

func firstLine(s string) string {
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

// isToken reports whether s looks like an HTTP method.
func isToken(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// urlPath returns the path of an absolute URL, or s itself.
func urlPath(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	rest := s[i+3:]
	j := strings.IndexAny(rest, "/?#")
	if j < 0 {
		return "/"
	}
	if rest[j] != '/' {
		return "/" + rest[j:]
	}
	return rest[j:]
}
