package otlp

import (
	"encoding/base64"
	"math"
	"net/url"
	"strconv"
	"strings"

	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"

	"github.com/lore-dev/lore/internal/event"
)

// Attribute keys of the OpenTelemetry semantic conventions that become core
// columns. Old and new spellings are both read; a key is taken out of the
// free attributes only when its value went into a column.
const (
	attrServiceName      = "service.name"
	attrEnvironment      = "deployment.environment.name"
	attrEnvironmentOld   = "deployment.environment"
	attrServiceVersion   = "service.version"
	attrHostName         = "host.name"
	attrExceptionType    = "exception.type"
	attrExceptionMessage = "exception.message"
	attrScopeName        = "otel.scope.name"
	attrSpanKind         = "span.kind"
)

// resourceInfo is what a Resource contributes to each of its events.
type resourceInfo struct {
	service, env, release, host string
	attrs                       []event.Attr
}

func readResource(r *resourcepb.Resource) resourceInfo {
	var ri resourceInfo
	if r == nil {
		return ri
	}
	var envOld string
	for _, kv := range r.GetAttributes() {
		v := renderValue(kv.GetValue())
		switch kv.GetKey() {
		case attrServiceName:
			ri.service = v
		case attrEnvironment:
			ri.env = v
		case attrEnvironmentOld:
			envOld = v
		case attrServiceVersion:
			ri.release = v
		case attrHostName:
			ri.host = v
		default:
			ri.attrs = append(ri.attrs, event.Attr{Key: kv.GetKey(), Value: v})
		}
	}
	if ri.env == "" {
		ri.env = envOld
	} else if envOld != "" && envOld != ri.env {
		ri.attrs = append(ri.attrs, event.Attr{Key: attrEnvironmentOld, Value: envOld})
	}
	return ri
}

// apply sets the resource's columns on e and starts its attributes.
func (ri *resourceInfo) apply(e *event.Event) {
	e.Service, e.Env, e.Release, e.Host = ri.service, ri.env, ri.release, ri.host
	if len(ri.attrs) > 0 {
		e.Attributes = append(make([]event.Attr, 0, len(ri.attrs)+8), ri.attrs...)
	}
}

// attrMapper moves semantic-convention attributes of a span or log record
// into the core columns of an event and keeps the others as attributes.
type attrMapper struct {
	e *event.Event
	// Endpoint candidates, most preferred first: http.route, url.path,
	// http.target, url.full / http.url. The one used becomes Endpoint; the
	// others stay attributes.
	route, path, target, full *commonpb.KeyValue
	// errorType is error.type, used as ErrorType when nothing more
	// specific (exception.type) was said.
	errorType *commonpb.KeyValue
	// exceptionMessage is kept aside: whether it becomes Message depends on
	// what else the record says.
	exceptionMessage string
	// eventName is true for log records, where event.name is the name.
	eventName bool
}

// add maps every attribute of kvs.
func (m *attrMapper) add(kvs []*commonpb.KeyValue) {
	for _, kv := range kvs {
		if !m.column(kv) {
			m.keep(kv.GetKey(), renderValue(kv.GetValue()))
		}
	}
}

// column puts kv into a core column and reports whether it did.
func (m *attrMapper) column(kv *commonpb.KeyValue) bool {
	e := m.e
	switch kv.GetKey() {
	case "http.request.method", "http.method":
		return setOnce(&e.HTTPMethod, strings.ToUpper(renderValue(kv.GetValue())))
	case "http.route":
		m.route = kv
		return true
	case "url.path":
		m.path = kv
		return true
	case "http.target":
		m.target = kv
		return true
	case "url.full", "http.url":
		if m.full == nil {
			m.full = kv
			return true
		}
	case "http.response.status_code", "http.status_code":
		if n, ok := intValue(kv.GetValue()); ok && n > 0 && n < 1000 && (e.HTTPStatus == 0 || int64(e.HTTPStatus) == n) {
			e.HTTPStatus = int32(n)
			return true
		}
	case "enduser.id", "user.id":
		return setOnce(&e.UserID, renderValue(kv.GetValue()))
	case "session.id":
		return setOnce(&e.SessionID, renderValue(kv.GetValue()))
	case "retry.attempt", "http.request.resend_count":
		if n, ok := intValue(kv.GetValue()); ok && n > 0 && n <= math.MaxInt32 && (e.RetryAttempt == 0 || int64(e.RetryAttempt) == n) {
			e.RetryAttempt = int32(n)
			return true
		}
	case attrExceptionType:
		// Kept as an attribute too: it marks the record as an exception,
		// which makes it an error (internal/issue) even without a stack.
		setOnce(&e.ErrorType, renderValue(kv.GetValue()))
		return false
	case attrExceptionMessage:
		if m.exceptionMessage == "" {
			m.exceptionMessage = renderValue(kv.GetValue())
			return true
		}
	case "error.type":
		if m.errorType == nil {
			m.errorType = kv
			return true
		}
	case "event.name":
		if m.eventName {
			return setOnce(&e.Name, renderValue(kv.GetValue()))
		}
	}
	return false
}

// finish decides the endpoint and the error type and keeps the unused
// candidates as attributes.
func (m *attrMapper) finish() {
	if m.errorType != nil {
		v := renderValue(m.errorType.GetValue())
		if !setOnce(&m.e.ErrorType, v) {
			m.keep(m.errorType.GetKey(), v)
		}
	}
	cands := [...]struct {
		kv   *commonpb.KeyValue
		path func(string) string
	}{
		{m.route, func(s string) string { return s }},
		{m.path, func(s string) string { return s }},
		{m.target, targetPath},
		{m.full, urlPath},
	}
	for _, c := range cands {
		if c.kv == nil {
			continue
		}
		v := renderValue(c.kv.GetValue())
		if m.e.Endpoint == "" {
			if p := c.path(v); p != "" {
				m.e.Endpoint = p
				continue
			}
		}
		m.keep(c.kv.GetKey(), v)
	}
}

func (m *attrMapper) keep(key, value string) {
	m.e.Attributes = append(m.e.Attributes, event.Attr{Key: key, Value: value})
}

// setOnce sets *dst to v when it is empty and reports whether v is now
// represented by *dst (so a repeated equal value is consumed too).
func setOnce(dst *string, v string) bool {
	if v == "" {
		return false
	}
	if *dst == "" {
		*dst = v
	}
	return *dst == v
}

// targetPath is the path of an http.target ("/a/b?q=1" → "/a/b").
func targetPath(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	return s
}

// urlPath is the path of a full URL, or "" when it has none.
func urlPath(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return ""
	}
	return u.EscapedPath()
}

// intValue reads an integer attribute, also when sent as a string or as a
// whole double (as some SDKs do for status codes).
func intValue(v *commonpb.AnyValue) (int64, bool) {
	switch x := v.GetValue().(type) {
	case *commonpb.AnyValue_IntValue:
		return x.IntValue, true
	case *commonpb.AnyValue_DoubleValue:
		if x.DoubleValue == math.Trunc(x.DoubleValue) && math.Abs(x.DoubleValue) < 1<<53 {
			return int64(x.DoubleValue), true
		}
	case *commonpb.AnyValue_StringValue:
		n, err := strconv.ParseInt(strings.TrimSpace(x.StringValue), 10, 64)
		return n, err == nil
	}
	return 0, false
}

// renderValue renders an attribute value as a string: strings as they are,
// integers in decimal, doubles in their shortest form, bools as true/false,
// bytes in base64, arrays and key-value lists as compact JSON, and an empty
// value as "".
func renderValue(v *commonpb.AnyValue) string {
	switch x := v.GetValue().(type) {
	case nil:
		return ""
	case *commonpb.AnyValue_StringValue:
		return x.StringValue
	case *commonpb.AnyValue_BoolValue:
		return strconv.FormatBool(x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.FormatInt(x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		return formatFloat(x.DoubleValue)
	case *commonpb.AnyValue_BytesValue:
		return base64.StdEncoding.EncodeToString(x.BytesValue)
	}
	return string(appendJSON(nil, v, 0))
}

// formatFloat renders f in its shortest form, in plain decimal notation for
// the magnitudes people write that way (as JavaScript does).
func formatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "+Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-6 && a < 1e21) {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

// maxJSONDepth bounds the nesting rendered as JSON, so a hostile body cannot
// make rendering recurse without end (protobuf decoding itself stops at 10000).
const maxJSONDepth = 64

// appendJSON appends v as compact JSON.
func appendJSON(dst []byte, v *commonpb.AnyValue, depth int) []byte {
	if depth > maxJSONDepth {
		return append(dst, "null"...)
	}
	switch x := v.GetValue().(type) {
	case nil:
		return append(dst, "null"...)
	case *commonpb.AnyValue_StringValue:
		return event.AppendJSONString(dst, x.StringValue)
	case *commonpb.AnyValue_BoolValue:
		return strconv.AppendBool(dst, x.BoolValue)
	case *commonpb.AnyValue_IntValue:
		return strconv.AppendInt(dst, x.IntValue, 10)
	case *commonpb.AnyValue_DoubleValue:
		if math.IsNaN(x.DoubleValue) || math.IsInf(x.DoubleValue, 0) {
			return event.AppendJSONString(dst, formatFloat(x.DoubleValue))
		}
		return append(dst, formatFloat(x.DoubleValue)...)
	case *commonpb.AnyValue_BytesValue:
		return event.AppendJSONString(dst, base64.StdEncoding.EncodeToString(x.BytesValue))
	case *commonpb.AnyValue_ArrayValue:
		dst = append(dst, '[')
		for i, el := range x.ArrayValue.GetValues() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSON(dst, el, depth+1)
		}
		return append(dst, ']')
	case *commonpb.AnyValue_KvlistValue:
		dst = append(dst, '{')
		for i, kv := range x.KvlistValue.GetValues() {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = event.AppendJSONString(dst, kv.GetKey())
			dst = append(dst, ':')
			dst = appendJSON(dst, kv.GetValue(), depth+1)
		}
		return append(dst, '}')
	}
	return append(dst, "null"...)
}
