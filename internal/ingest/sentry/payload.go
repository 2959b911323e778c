package sentry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/lore-dev/lore/internal/exception"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/event"
)

// payload is a Sentry event or transaction. Fields whose shape varies
// between SDKs are kept raw and read by the helpers below.
type payload struct {
	EventID        string                    `json:"event_id"`
	Type           string                    `json:"type"`
	Timestamp      json.RawMessage           `json:"timestamp"`
	StartTimestamp json.RawMessage           `json:"start_timestamp"`
	Level          string                    `json:"level"`
	Logger         string                    `json:"logger"`
	Platform       string                    `json:"platform"`
	Release        string                    `json:"release"`
	Dist           string                    `json:"dist"`
	Environment    string                    `json:"environment"`
	ServerName     string                    `json:"server_name"`
	Transaction    string                    `json:"transaction"`
	Message        json.RawMessage           `json:"message"`
	Logentry       *logentry                 `json:"logentry"`
	Exception      json.RawMessage           `json:"exception"`
	Fingerprint    []string                  `json:"fingerprint"`
	Tags           json.RawMessage           `json:"tags"`
	User           map[string]any            `json:"user"`
	Request        *request                  `json:"request"`
	Contexts       map[string]map[string]any `json:"contexts"`
	Breadcrumbs    json.RawMessage           `json:"breadcrumbs"`
	Extra          map[string]any            `json:"extra"`
	SDK            struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	} `json:"sdk"`
	Spans        []spanPayload          `json:"spans"`
	Measurements map[string]measurement `json:"measurements"`
}

// measurement is a transaction's measurement (web vitals, app start…):
// {"lcp": {"value": 1234, "unit": "millisecond"}}.
type measurement struct {
	Value any    `json:"value"`
	Unit  string `json:"unit"`
}

type logentry struct {
	Message   string `json:"message"`
	Formatted string `json:"formatted"`
}

type request struct {
	URL     string          `json:"url"`
	Method  string          `json:"method"`
	Headers json.RawMessage `json:"headers"`
}

// userAgent is the User-Agent among the request's headers, sent as an
// object or as a list of [name, value].
func (r *request) userAgent() string {
	h := bytes.TrimSpace(r.Headers)
	if len(h) == 0 {
		return ""
	}
	if h[0] == '[' {
		var pairs [][]string
		if json.Unmarshal(h, &pairs) == nil {
			for _, p := range pairs {
				if len(p) == 2 && strings.EqualFold(p[0], "User-Agent") {
					return p[1]
				}
			}
		}
		return ""
	}
	var m map[string]any
	if json.Unmarshal(h, &m) != nil {
		return ""
	}
	for k, v := range m {
		if strings.EqualFold(k, "User-Agent") {
			return str(v)
		}
	}
	return ""
}

type spanPayload struct {
	TraceID        string                 `json:"trace_id"`
	SpanID         string                 `json:"span_id"`
	ParentSpanID   string                 `json:"parent_span_id"`
	Op             string                 `json:"op"`
	Description    string                 `json:"description"`
	Status         string                 `json:"status"`
	StartTimestamp json.RawMessage        `json:"start_timestamp"`
	Timestamp      json.RawMessage        `json:"timestamp"`
	Tags           map[string]string      `json:"tags"`
	Data           map[string]any         `json:"data"`
	Measurements   map[string]measurement `json:"measurements"`
}

type rawException struct {
	Type       string `json:"type"`
	Value      string `json:"value"`
	Module     string `json:"module"`
	Stacktrace *struct {
		Frames []exception.Frame `json:"frames"`
	} `json:"stacktrace"`
	Mechanism *mechanism `json:"mechanism"`
}

// mechanism tells how an exception was caught: by the application
// (handled, as captureException) or by the SDK's global handlers
// (onerror, onunhandledrejection, a panic: unhandled).
type mechanism struct {
	Type    string `json:"type"`
	Handled *bool  `json:"handled"`
}

// Breadcrumb is a breadcrumb as kept in the sentry.breadcrumbs attribute.
type Breadcrumb struct {
	Timestamp string         `json:"timestamp,omitempty"`
	Type      string         `json:"type,omitempty"`
	Category  string         `json:"category,omitempty"`
	Message   string         `json:"message,omitempty"`
	Level     string         `json:"level,omitempty"`
	Data      map[string]any `json:"data,omitempty"`
}

type rawBreadcrumb struct {
	Timestamp json.RawMessage `json:"timestamp"`
	Type      string          `json:"type"`
	Category  string          `json:"category"`
	Message   string          `json:"message"`
	Level     string          `json:"level"`
	Data      map[string]any  `json:"data"`
}

// AttrTags lists, comma-separated, the keys of the tags an event was sent
// with (setTag), so an issue shows their breakdown beside the standard
// ones.
const AttrTags = exception.AttrTags

// Exception mechanism attributes, named as Sentry's tags: handled is
// "yes" or "no", mechanism the handler's type (generic, onerror,
// onunhandledrejection…).
const (
	AttrHandled   = "handled"
	AttrMechanism = "mechanism"
)

// Caps on what one event may carry.
const (
	maxAttrs       = 256
	maxBreadcrumbs = 100
	maxSpans       = 1000
)

// decodePayload turns one event or transaction payload into rows.
func decodePayload(b []byte, declared string, opts Options) ([]event.Event, string, error) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, "", fmt.Errorf("empty payload")
	}
	var p payload
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, "", fmt.Errorf("cannot parse %s payload: %v", orEvent(declared), err)
	}
	base, err := p.base(opts)
	if err != nil {
		return nil, p.EventID, err
	}
	if itemType(declared, &p) == "transaction" {
		rows, err := p.spans(base, opts)
		return rows, p.EventID, err
	}
	e, err := p.errorEvent(base)
	if err != nil {
		return nil, p.EventID, err
	}
	return []event.Event{e}, p.EventID, nil
}

func orEvent(t string) string {
	if t == "" {
		return "event"
	}
	return t
}

// base holds the columns an event and its spans share.
func (p *payload) base(opts Options) (event.Event, error) {
	e := event.Event{ProjectID: opts.ProjectID, ReceivedAt: opts.Now, TS: opts.Now,
		Env: p.Environment, Release: p.Release, Host: p.ServerName}
	if ts, ok, err := parseTS(p.Timestamp); err != nil {
		return e, fmt.Errorf("bad timestamp %s: %v", clip(p.Timestamp), err)
	} else if ok {
		e.TS = ts
	}
	tags, err := parseTags(p.Tags)
	if err != nil {
		return e, err
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		e.Attributes = appendAttr(e.Attributes, k, tags[k])
	}
	e.Service = firstOf(tags["service"], tags["service.name"])
	if e.Service == "" {
		e.Service = defaultService(p.Release, p.SDK.Name)
	}
	// The tags set with setTag, named so an issue shows their breakdown.
	if len(keys) > 0 {
		e.Attributes = appendAttr(e.Attributes, AttrTags, strings.Join(keys, ","))
	}
	if tc := p.Contexts["trace"]; tc != nil {
		e.TraceID, _ = event.ParseTraceID(str(tc["trace_id"]))
		e.SpanID, _ = event.ParseSpanID(str(tc["span_id"]))
		e.ParentSpanID, _ = event.ParseSpanID(str(tc["parent_span_id"]))
	}
	if p.User != nil {
		id, email, name, ip := str(p.User["id"]), str(p.User["email"]), str(p.User["username"]), str(p.User["ip_address"])
		e.UserID = firstOf(id, email, name)
		e.Attributes = appendAttr(e.Attributes, "user.email", email)
		e.Attributes = appendAttr(e.Attributes, "user.username", name)
		e.Attributes = appendAttr(e.Attributes, "user.ip_address", ip)
	}
	if sid := firstOf(tags["session_id"], tags["session.id"]); sid != "" {
		e.SessionID = sid
	}
	if rid := firstOf(tags["request_id"], tags["request.id"]); rid != "" {
		e.RequestID = rid
	}
	if p.Request != nil {
		e.HTTPMethod = strings.ToUpper(p.Request.Method)
		if u, err := url.Parse(p.Request.URL); err == nil && p.Request.URL != "" {
			e.Endpoint = u.Path
			e.Attributes = appendAttr(e.Attributes, "url.full", p.Request.URL)
		}
		// Browser SDKs send no browser or os context: Sentry derives them
		// from the request's User-Agent, and so does Lore (tags and
		// contexts, when sent, win).
		if ua := p.Request.userAgent(); ua != "" {
			e.Attributes = appendUserAgent(e.Attributes, ua)
		}
	}
	if st := firstOf(tags["http.status_code"], tags["status_code"], str(p.Contexts["response"]["status_code"])); st != "" {
		if n, err := strconv.Atoi(st); err == nil && n > 0 && n < 1000 {
			e.HTTPStatus = int32(n)
		}
	}
	// Sentry derives the browser and os tags from the contexts.
	for _, c := range []string{"browser", "os", "runtime", "device"} {
		if _, ok := tags[c]; ok {
			continue
		}
		if ctx := p.Contexts[c]; ctx != nil {
			e.Attributes = appendAttr(e.Attributes, c, strings.TrimSpace(str(ctx["name"])+" "+str(ctx["version"])))
		}
	}
	e.Attributes = appendAttr(e.Attributes, "transaction", p.Transaction)
	e.Attributes = appendAttr(e.Attributes, "logger", p.Logger)
	e.Attributes = appendAttr(e.Attributes, "platform", p.Platform)
	e.Attributes = appendAttr(e.Attributes, "dist", p.Dist)
	if p.SDK.Name != "" {
		e.Attributes = appendAttr(e.Attributes, "sentry.sdk", p.SDK.Name+"/"+p.SDK.Version)
	}
	e.Attributes = appendAttr(e.Attributes, exception.AttrEventID, p.EventID)
	ekeys := make([]string, 0, len(p.Extra))
	for k := range p.Extra {
		ekeys = append(ekeys, k)
	}
	sort.Strings(ekeys)
	for _, k := range ekeys {
		e.Attributes = appendAttr(e.Attributes, "extra."+k, str(p.Extra[k]))
	}
	return e, nil
}

// errorEvent builds the row of an error or message event.
func (p *payload) errorEvent(e event.Event) (event.Event, error) {
	e.Kind = event.KindError
	e.Level = level(p.Level)
	excs, mechanisms, err := parseExceptions(p.Exception)
	if err != nil {
		return e, err
	}
	exception.NormalizeFrames(p.Platform, excs)
	msg := messageText(p.Message)
	if msg == "" && p.Logentry != nil {
		msg = firstOf(p.Logentry.Formatted, p.Logentry.Message)
	}
	if n := len(excs); n > 0 {
		last := excs[n-1]
		e.ErrorType = last.Type
		e.Message = last.Value
		if msg != "" && e.Message == "" {
			e.Message = msg
		}
		if b, err := json.Marshal(excs); err == nil {
			e.Attributes = appendAttr(e.Attributes, exception.AttrExceptions, string(b))
		}
		if m := mechanisms[n-1]; m != nil {
			e.Attributes = appendAttr(e.Attributes, AttrMechanism, m.Type)
			if m.Handled != nil {
				e.Attributes = appendAttr(e.Attributes, AttrHandled, map[bool]string{true: "yes", false: "no"}[*m.Handled])
			}
		}
		e.Attributes = appendAttr(e.Attributes, exception.AttrCulprit, exception.Culprit(excs))
	} else {
		e.Message = msg
	}
	if p.Level == "" && len(excs) > 0 {
		e.Level = event.LevelError
	}
	crumbs, err := parseBreadcrumbs(p.Breadcrumbs)
	if err != nil {
		return e, err
	}
	if len(crumbs) > 0 {
		if b, err := json.Marshal(crumbs); err == nil {
			e.Attributes = appendAttr(e.Attributes, exception.AttrBreadcrumbs, string(b))
		}
	}
	if len(p.Fingerprint) > 0 {
		if b, err := json.Marshal(p.Fingerprint); err == nil {
			e.Attributes = appendAttr(e.Attributes, "sentry.fingerprint", string(b))
		}
	}
	e.Fingerprint = exception.Fingerprint(exception.Components(p.Fingerprint, exception.DefaultComponents(excs, e.Message)))
	return e, nil
}

// spans builds the rows of a transaction: the transaction's own span, then
// its child spans.
func (p *payload) spans(base event.Event, opts Options) ([]event.Event, error) {
	if len(p.Spans) > maxSpans {
		return nil, fmt.Errorf("transaction has %d spans (max %d)", len(p.Spans), maxSpans)
	}
	root := base
	root.Kind = event.KindSpan
	root.Name = p.Transaction
	tc := p.Contexts["trace"]
	status := str(tc["status"])
	root.Level = spanLevel(status)
	root.Attributes = appendAttr(root.Attributes, "span.op", str(tc["op"]))
	root.Attributes = appendAttr(root.Attributes, "span.status", status)
	root.Attributes = appendAttr(root.Attributes, "segment", "true")
	// The root span's own data: OpenTelemetry-style request attributes
	// (http.request.method, http.response.status_code, url.path).
	if data, ok := tc["data"].(map[string]any); ok {
		if m := str(data["http.request.method"]); m != "" && root.HTTPMethod == "" {
			root.HTTPMethod = strings.ToUpper(m)
		}
		if st := str(data["http.response.status_code"]); st != "" && root.HTTPStatus == 0 {
			if n, err := strconv.Atoi(st); err == nil && n > 0 && n < 1000 {
				root.HTTPStatus = int32(n)
			}
		}
		if root.Endpoint == "" {
			root.Endpoint = firstOf(str(data["http.route"]), str(data["url.path"]))
		}
	}
	root.Attributes = appendMeasurements(root.Attributes, p.Measurements)
	end := root.TS
	if start, ok, err := parseTS(p.StartTimestamp); err != nil {
		return nil, fmt.Errorf("bad start_timestamp %s: %v", clip(p.StartTimestamp), err)
	} else if ok {
		root.TS = start
		root.DurationMS = float64(end-start) / 1000
	}
	rows := make([]event.Event, 0, 1+len(p.Spans))
	rows = append(rows, root)
	for i, sp := range p.Spans {
		e, err := sp.event(base, i)
		if err != nil {
			return nil, err
		}
		e.Attributes = appendAttr(e.Attributes, "transaction", p.Transaction)
		rows = append(rows, e)
	}
	return rows, nil
}

// event builds the row of a child span of a transaction (or of a v1
// standalone span item), sharing base's columns.
func (sp *spanPayload) event(base event.Event, i int) (event.Event, error) {
	e := event.Event{ProjectID: base.ProjectID, ReceivedAt: base.ReceivedAt, Kind: event.KindSpan,
		Service: base.Service, Env: base.Env, Release: base.Release, Host: base.Host,
		UserID: base.UserID, SessionID: base.SessionID, RequestID: base.RequestID, TraceID: base.TraceID}
	if sp.TraceID != "" {
		e.TraceID, _ = event.ParseTraceID(sp.TraceID)
	}
	e.SpanID, _ = event.ParseSpanID(sp.SpanID)
	e.ParentSpanID, _ = event.ParseSpanID(sp.ParentSpanID)
	e.Name = firstOf(sp.Description, sp.Op)
	e.Level = spanLevel(sp.Status)
	start, ok, err := parseTS(sp.StartTimestamp)
	if err != nil || !ok {
		return e, fmt.Errorf("span %d: bad start_timestamp %s", i, clip(sp.StartTimestamp))
	}
	e.TS = start
	if stop, ok, err := parseTS(sp.Timestamp); err == nil && ok && stop >= start {
		e.DurationMS = float64(stop-start) / 1000
	}
	e.Attributes = appendAttr(e.Attributes, "span.op", sp.Op)
	e.Attributes = appendAttr(e.Attributes, "span.status", sp.Status)
	for _, k := range sortedKeys(sp.Tags) {
		e.Attributes = appendAttr(e.Attributes, k, sp.Tags[k])
	}
	for _, k := range sortedKeys(sp.Data) {
		e.Attributes = appendAttr(e.Attributes, k, str(sp.Data[k]))
	}
	if st, ok := sp.Data["http.response.status_code"]; ok {
		if n, err := strconv.Atoi(str(st)); err == nil && n > 0 && n < 1000 {
			e.HTTPStatus = int32(n)
		}
	}
	if m := str(sp.Data["http.request.method"]); m != "" {
		e.HTTPMethod = strings.ToUpper(m)
	}
	if e.Service == "" {
		e.Service = defaultService(firstOf(e.Release, str(sp.Data["release"]), str(sp.Data["sentry.release"])), str(sp.Data["sentry.sdk.name"]))
	}
	e.Attributes = appendMeasurements(e.Attributes, sp.Measurements)
	return e, nil
}

// appendMeasurements keeps a transaction's measurements (LCP, FCP, TTFB,
// CLS… as the browser SDK sends them) as measurements.NAME attributes.
func appendMeasurements(as []event.Attr, ms map[string]measurement) []event.Attr {
	for _, k := range sortedKeys(ms) {
		as = appendAttr(as, "measurements."+k, str(ms[k].Value))
	}
	return as
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func spanLevel(status string) string {
	switch trimLower(status) {
	case "", "ok":
		return event.LevelInfo
	case "cancelled", "not_found", "already_exists", "failed_precondition", "aborted", "out_of_range", "invalid_argument", "unauthenticated", "permission_denied", "resource_exhausted":
		return event.LevelWarn
	}
	return event.LevelError
}

func level(s string) string {
	switch trimLower(s) {
	case "fatal", "critical":
		return event.LevelFatal
	case "", "error":
		return event.LevelError
	case "warning", "warn":
		return event.LevelWarn
	case "info", "log":
		return event.LevelInfo
	case "debug":
		return event.LevelDebug
	}
	return event.LevelError
}

// parseTS reads a timestamp sent as seconds (a number, with fraction) or
// an RFC 3339 string. ok is false when absent.
func parseTS(raw json.RawMessage) (int64, bool, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false, nil
	}
	s := string(raw)
	if raw[0] == '"' {
		if err := json.Unmarshal(raw, &s); err != nil {
			return 0, false, err
		}
	}
	us, err := event.ParseTime(s)
	if err != nil {
		return 0, false, err
	}
	return us, true, nil
}

// parseTags reads tags sent as an object or as a list of [key, value].
func parseTags(raw json.RawMessage) (map[string]string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] == '[' {
		var pairs [][]any
		if err := json.Unmarshal(raw, &pairs); err != nil {
			return nil, fmt.Errorf("bad tags %s: %v", clip(raw), err)
		}
		m := make(map[string]string, len(pairs))
		for _, p := range pairs {
			if len(p) == 2 {
				m[str(p[0])] = str(p[1])
			}
		}
		return m, nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("bad tags %s: %v", clip(raw), err)
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = str(v)
	}
	return out, nil
}

// values unwraps Sentry's {"values": [...]} form; a bare list is taken as
// it is.
func values(raw json.RawMessage) json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] == '{' {
		var v struct {
			Values json.RawMessage `json:"values"`
		}
		if json.Unmarshal(raw, &v) == nil {
			return v.Values
		}
	}
	return raw
}

// parseExceptions reads the exceptions and, beside each, its mechanism
// (nil when not sent).
func parseExceptions(raw json.RawMessage) ([]exception.Exception, []*mechanism, error) {
	raw = values(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, nil
	}
	var rs []rawException
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, nil, fmt.Errorf("bad exception %s: %v", clip(raw), err)
	}
	out := make([]exception.Exception, 0, len(rs))
	mechs := make([]*mechanism, 0, len(rs))
	for _, r := range rs {
		ex := exception.Exception{Type: r.Type, Value: r.Value, Module: r.Module}
		if r.Stacktrace != nil {
			ex.Frames = r.Stacktrace.Frames
		}
		out = append(out, ex)
		mechs = append(mechs, r.Mechanism)
	}
	return out, mechs, nil
}

func parseBreadcrumbs(raw json.RawMessage) ([]Breadcrumb, error) {
	raw = values(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var rs []rawBreadcrumb
	if err := json.Unmarshal(raw, &rs); err != nil {
		return nil, fmt.Errorf("bad breadcrumbs %s: %v", clip(raw), err)
	}
	if len(rs) > maxBreadcrumbs {
		rs = rs[len(rs)-maxBreadcrumbs:]
	}
	out := make([]Breadcrumb, 0, len(rs))
	for _, r := range rs {
		b := Breadcrumb{Type: r.Type, Category: r.Category, Message: r.Message, Level: r.Level, Data: r.Data}
		if us, ok, err := parseTS(r.Timestamp); err == nil && ok {
			b.Timestamp = event.FormatMicros(us)
		}
		out = append(out, b)
	}
	return out, nil
}

// messageText reads "message" sent as a string or as a logentry object.
func messageText(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		json.Unmarshal(raw, &s)
		return s
	}
	var le logentry
	if json.Unmarshal(raw, &le) == nil {
		return firstOf(le.Formatted, le.Message)
	}
	return ""
}

// str renders a JSON scalar as text; objects and lists as compact JSON.
func str(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func appendAttr(as []event.Attr, k, v string) []event.Attr {
	if v == "" || k == "" || len(as) >= maxAttrs {
		return as
	}
	for i := range as {
		if as[i].Key == k {
			as[i].Value = v
			return as
		}
	}
	return append(as, event.Attr{Key: k, Value: v})
}
