package sentry

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/segment"
)

// SpanContentType is the content type of the span items Sentry's SDKs
// stream since version 10 (@sentry/node and @sentry/browser 11 by
// default): {"version": 2, "items": [span, …]}.
const SpanContentType = "application/vnd.sentry.items.span.v2+json"

// spanV2 is one span of a "span" item.
type spanV2 struct {
	Name           string               `json:"name"`
	TraceID        string               `json:"trace_id"`
	SpanID         string               `json:"span_id"`
	ParentSpanID   string               `json:"parent_span_id"`
	StartTimestamp json.RawMessage      `json:"start_timestamp"`
	EndTimestamp   json.RawMessage      `json:"end_timestamp"`
	IsSegment      bool                 `json:"is_segment"`
	Status         string               `json:"status"`
	Attributes     map[string]attrValue `json:"attributes"`
}

// attrValue is a typed attribute of span and log items: {"value", "type"}.
type attrValue struct {
	Value any    `json:"value"`
	Type  string `json:"type"`
}

// maxSpanItems bounds the spans of one item (SDKs send at most 1000).
const maxSpanItems = 1000

// droppedSpanAttrs are attributes too large or too internal to keep on
// every span.
var droppedSpanAttrs = map[string]bool{
	"sentry.sdk.integrations": true, "sentry.trace_lifecycle": true, "sentry.timestamp.sequence": true,
}

// decodeSpans turns a v2 "span" item into events of kind span. Sentry's
// own attributes fill the columns: sentry.op (span.op), sentry.release,
// sentry.environment, user.*, http.request.method, url.path or http.route
// (the endpoint of a server or page-load segment), the response status and
// user_agent.original (browser, os, device_type); web vitals
// (browser.web_vital.X.value) are kept as measurements.X, as transactions
// send them. Segment roots (is_segment) carry sentry.segment.name as their
// transaction like every span of the segment, and are marked segment=true.
func decodeSpans(b []byte, opts Options) ([]event.Event, error) {
	var p struct {
		Items []spanV2 `json:"items"`
	}
	if err := json.Unmarshal(bytes.TrimSpace(b), &p); err != nil {
		return nil, fmt.Errorf("cannot parse span payload: %v", err)
	}
	if len(p.Items) > maxSpanItems {
		return nil, fmt.Errorf("span item has %d spans (max %d)", len(p.Items), maxSpanItems)
	}
	out := make([]event.Event, 0, len(p.Items))
	for i := range p.Items {
		e, err := p.Items[i].event(opts)
		if err != nil {
			return nil, fmt.Errorf("span %d: %w", i, err)
		}
		out = append(out, e)
	}
	return out, nil
}

func (sp *spanV2) event(opts Options) (event.Event, error) {
	e := event.Event{ProjectID: opts.ProjectID, ReceivedAt: opts.Now, TS: opts.Now, Kind: event.KindSpan, Name: sp.Name}
	var ok bool
	if e.TraceID, ok = event.ParseTraceID(sp.TraceID); !ok && sp.TraceID != "" {
		return e, fmt.Errorf("bad trace_id %q", clip([]byte(sp.TraceID)))
	}
	e.SpanID, _ = event.ParseSpanID(sp.SpanID)
	e.ParentSpanID, _ = event.ParseSpanID(sp.ParentSpanID)
	start, ok, err := parseTS(sp.StartTimestamp)
	if err != nil {
		return e, fmt.Errorf("bad start_timestamp %s: %v", clip(sp.StartTimestamp), err)
	}
	if ok {
		e.TS = start
		if end, ok, err := parseTS(sp.EndTimestamp); err == nil && ok && end >= start {
			e.DurationMS = float64(end-start) / 1000
		}
	}
	e.Level = spanLevel(sp.Status)
	a := func(k string) string { return str(sp.Attributes[k].Value) }
	e.Release, e.Env = a("sentry.release"), a("sentry.environment")
	e.Host = a("host.name")
	e.UserID = firstOf(a("user.id"), a("user.email"), a("user.username"), a("user.name"))
	e.HTTPMethod = strings.ToUpper(a("http.request.method"))
	if st := a("http.response.status_code"); st != "" {
		if n, err := strconv.Atoi(st); err == nil && n > 0 && n < 1000 {
			e.HTTPStatus = int32(n)
		}
	}
	op := a("sentry.op")
	if (sp.IsSegment && !strings.HasPrefix(op, "http.client")) || strings.HasPrefix(op, "http.server") || op == "pageload" || op == "navigation" {
		e.Endpoint = firstOf(a("http.route"), a("url.path"))
		if e.Endpoint == "" {
			if u, err := url.Parse(a("url.full")); err == nil && op != "http.client" {
				e.Endpoint = u.Path
			}
		}
	}
	e.Service = firstOf(a("service.name"), a("service"))
	if e.Service == "" {
		e.Service = defaultService(e.Release, a("sentry.sdk.name"))
	}
	e.Attributes = appendAttr(e.Attributes, "span.op", op)
	e.Attributes = appendAttr(e.Attributes, "span.status", sp.Status)
	e.Attributes = appendAttr(e.Attributes, "transaction", a("sentry.segment.name"))
	if sp.IsSegment {
		e.Attributes = appendAttr(e.Attributes, "segment", "true")
	}
	if sdk := a("sentry.sdk.name"); sdk != "" {
		e.Attributes = appendAttr(e.Attributes, "sentry.sdk", sdk+"/"+a("sentry.sdk.version"))
	}
	if ua := a("user_agent.original"); ua != "" {
		e.Attributes = appendUserAgent(e.Attributes, ua)
	}
	for _, k := range sortedKeys(sp.Attributes) {
		switch {
		case droppedSpanAttrs[k] || strings.HasPrefix(k, "http.request.header.") || strings.HasPrefix(k, "http.response.header."):
			continue // the user agent is user_agent.original
		case k == "sentry.release" || k == "sentry.environment" || k == "sentry.op" || k == "user.id" ||
			k == "http.request.method" || k == "sentry.segment.name" || k == "service.name" || k == "host.name" ||
			k == "sentry.sdk.name" || k == "sentry.sdk.version":
			continue // in a column or renamed
		case strings.HasPrefix(k, "browser.web_vital.") && strings.HasSuffix(k, ".value"):
			name := strings.TrimSuffix(strings.TrimPrefix(k, "browser.web_vital."), ".value")
			e.Attributes = appendAttr(e.Attributes, "measurements."+name, a(k))
		}
		e.Attributes = appendAttr(e.Attributes, k, a(k))
	}
	return e, nil
}

// appendUserAgent adds the user agent and the browser, os and device_type
// it names (those not already set), as Sentry derives them.
func appendUserAgent(as []event.Attr, ua string) []event.Attr {
	as = appendAttr(as, "user_agent", ua)
	b, os, dev := segment.ParseUserAgent(ua)
	for _, kv := range [][2]string{{"browser", b}, {"os", os}, {"device_type", dev}} {
		if kv[1] == "" {
			continue
		}
		if _, ok := attrOf(as, kv[0]); !ok {
			as = appendAttr(as, kv[0], kv[1])
		}
	}
	return as
}

func attrOf(as []event.Attr, k string) (string, bool) {
	for _, a := range as {
		if a.Key == k {
			return a.Value, true
		}
	}
	return "", false
}

// defaultService names the service of a Sentry event or span that names
// none (no "service" tag or attribute): the name of a "name@version"
// release, else the SDK's platform ("node" for sentry.javascript.node,
// "browser", "python", "go"…), so every event belongs to a service.
func defaultService(release, sdk string) string {
	if name, _, ok := strings.Cut(release, "@"); ok && name != "" {
		return name
	}
	sdk = strings.TrimPrefix(strings.ToLower(sdk), "sentry.")
	if i := strings.LastIndexByte(sdk, '.'); i >= 0 {
		sdk = sdk[i+1:]
	}
	return sdk
}
