// Package segment decodes the Segment HTTP tracking API
// (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/):
// POST /v1/batch, /v1/track, /v1/identify, /v1/page, /v1/screen,
// /v1/alias and /v1/group, into product events. It also holds the rules
// every product-capture protocol shares (Finish): a name and an id are
// required, future timestamps are clamped and flagged, oversized
// properties are truncated and flagged, and the user agent is parsed.
package segment

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/lore-dev/lore/internal/event"
)

// Types of Segment call.
const (
	TypeTrack    = "track"
	TypePage     = "page"
	TypeScreen   = "screen"
	TypeIdentify = "identify"
	TypeAlias    = "alias"
	TypeGroup    = "group"
	TypeBatch    = "batch"
)

// Names given to the calls that carry no event name of their own.
const (
	NameIdentify = "$identify"
	NameAlias    = "$alias"
	NameGroup    = "$group"
	NamePageview = "$pageview"
)

// ErrInvalidBody is wrapped by Decode when the body as a whole cannot be
// read (not JSON, not an object, no batch array).
var ErrInvalidBody = errors.New("invalid Segment body")

// Decode reads one Segment request body. typ is the call the path names
// (TypeTrack for /v1/track …) or TypeBatch for /v1/batch, whose messages
// each carry their "type". Messages that break a rule are listed in
// Result.Rejected with their reason; the others become events.
func Decode(body []byte, typ string, o Options) (Result, error) {
	o = o.WithDefaults()
	root, err := decodeObject(body)
	if err != nil {
		return Result{}, err
	}
	res := Result{WriteKey: Str(root, "writeKey")}
	if typ != TypeBatch {
		m := message{o: o, shared: nil}
		m.add(&res, 0, root, typ)
		return res, nil
	}
	raw, ok := root["batch"].([]any)
	if !ok {
		return Result{}, fmt.Errorf("%w: a batch body needs a \"batch\" array", ErrInvalidBody)
	}
	m := message{o: o, shared: Obj(root, "context"), sentAt: ParseTS(root["sentAt"])}
	res.Events = make([]event.Event, 0, len(raw))
	for i, item := range raw {
		obj, ok := item.(map[string]any)
		if !ok {
			res.Rejected = append(res.Rejected, Rejection{Index: i, Reason: "invalid message", Detail: "a batch item must be an object"})
			continue
		}
		m.add(&res, i, obj, Str(obj, "type"))
	}
	return res, nil
}

func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBody, err)
	}
	obj, ok := root.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: the body must be a JSON object", ErrInvalidBody)
	}
	return obj, nil
}

// message decodes the messages of one body.
type message struct {
	o      Options
	shared map[string]any // the batch's context, under each message's own
	sentAt int64          // the batch's sentAt
}

func (m *message) add(res *Result, i int, obj map[string]any, typ string) {
	e, reason, detail := m.event(obj, typ)
	if reason == "" {
		reason, detail = Finish(&e, m.o)
	}
	if reason != "" {
		res.Rejected = append(res.Rejected, Rejection{Index: i, Reason: reason, Detail: detail})
		return
	}
	res.Events = append(res.Events, e)
}

func (m *message) event(obj map[string]any, typ string) (e event.Event, reason, detail string) {
	typ = strings.ToLower(typ)
	e.UserID = Str(obj, "userId")
	e.AnonymousID = Str(obj, "anonymousId")
	e.Kind = event.KindEvent
	props := Obj(obj, "properties")
	switch typ {
	case TypeTrack:
		e.Name = Str(obj, "event")
	case TypePage, TypeScreen:
		e.Kind = event.KindPageview
		e.Name = Str(obj, "name")
		if e.Name == "" {
			e.Name = pagePath(props, Obj(Obj(obj, "context"), "page"))
		}
		if e.Name == "" {
			e.Name = NamePageview
		}
		if typ == TypeScreen {
			e.Attributes = append(e.Attributes, event.Attr{Key: "screen", Value: "true"})
		}
		if c := Str(obj, "category"); c != "" {
			e.Attributes = append(e.Attributes, event.Attr{Key: "category", Value: c})
		}
	case TypeIdentify:
		e.Name = NameIdentify
		props = Obj(obj, "traits")
	case TypeAlias:
		e.Name = NameAlias
		// previousId is the id the person had; it joins the person as
		// an anonymous id does on identify.
		e.AnonymousID = Str(obj, "previousId")
		if e.UserID == "" || e.AnonymousID == "" {
			return e, "missing id", "an alias call needs both userId and previousId"
		}
	case TypeGroup:
		e.Name = NameGroup
		props = Obj(obj, "traits")
		g := Str(obj, "groupId")
		if g == "" {
			return e, "missing id", "a group call needs a groupId"
		}
		e.Attributes = append(e.Attributes, event.Attr{Key: "group_id", Value: g})
	case "":
		return e, "invalid message", "the message has no \"type\""
	default:
		return e, "invalid message", fmt.Sprintf("unknown type %q: want track, page, screen, identify, alias or group", clip(typ, 64))
	}
	e.TS = ParseTS(obj["timestamp"])
	if e.TS == 0 {
		e.TS = ParseTS(obj["originalTimestamp"])
	}
	// Segment corrects device clocks: timestamp + (receivedAt - sentAt).
	sent := ParseTS(obj["sentAt"])
	if sent == 0 {
		sent = m.sentAt
	}
	if e.TS != 0 && sent != 0 {
		e.TS += m.o.Now - sent
	}
	if id := Str(obj, "messageId"); id != "" {
		e.Attributes = append(e.Attributes, event.Attr{Key: "message_id", Value: clip(id, 128)})
	}
	ctx := Obj(obj, "context")
	m.context(&e, m.shared)
	m.context(&e, ctx)
	if typ == TypePage || typ == TypeScreen {
		pageAttrs(&e, props)
	}
	e.SessionID = first(Str(props, "session_id"), Str(props, "sessionId"), Str(ctx, "sessionId"), Str(ctx, "session_id"),
		Str(Obj(Obj(obj, "integrations"), "Amplitude"), "session_id"))
	e.Attributes = Flatten(e.Attributes, "", props)
	dedupe(&e)
	return e, "", ""
}

// context maps the Segment context object (shared batch context first,
// so a message's own wins through dedupe keeping the last).
func (m *message) context(e *event.Event, ctx map[string]any) {
	if ctx == nil {
		return
	}
	add := func(k, v string) {
		if v != "" {
			e.Attributes = append(e.Attributes, event.Attr{Key: k, Value: v})
		}
	}
	ua := Str(ctx, "userAgent")
	if ua == "" {
		ua = m.o.UserAgent
	}
	add("user_agent", ua)
	add("ip", first(Str(ctx, "ip"), m.o.IP))
	add("locale", Str(ctx, "locale"))
	add("timezone", Str(ctx, "timezone"))
	if lib := Obj(ctx, "library"); lib != nil {
		add("lib", Str(lib, "name"))
		add("lib_version", Str(lib, "version"))
	}
	if app := Obj(ctx, "app"); app != nil && e.Release == "" {
		e.Release = Str(app, "version")
	}
	if d := Obj(ctx, "device"); d != nil {
		add("device_type", strings.ToLower(Str(d, "type")))
	}
	if c := Obj(ctx, "campaign"); c != nil {
		for _, k := range []string{"name", "source", "medium", "term", "content"} {
			key := "utm_" + k
			if k == "name" {
				key = "utm_campaign"
			}
			add(key, Str(c, k))
		}
	}
	if p := Obj(ctx, "page"); p != nil {
		pageAttrs(e, p)
	}
	// A traceparent or a sentry-trace (from a page where Sentry's SDK
	// started the trace) joins the event to the request's journey.
	if tp := first(Str(ctx, "traceparent"), Str(ctx, "sentry-trace"), Str(ctx, "sentryTrace")); tp != "" {
		if t, s, ok := event.ParseTraceHeader(tp); ok {
			e.TraceID, e.SpanID = t, s
		}
	}
	if e.Service == "" {
		e.Service = Str(ctx, "service")
	}
}

// pageAttrs sets path, url, referrer, title and search from a page
// object and UTM parameters from its URL.
func pageAttrs(e *event.Event, p map[string]any) {
	if p == nil {
		return
	}
	set := func(k, v string) {
		if v != "" {
			e.Attributes = append(e.Attributes, event.Attr{Key: k, Value: v})
		}
	}
	set("path", pagePath(p, nil))
	set("url", Str(p, "url"))
	set("referrer", Str(p, "referrer"))
	set("title", Str(p, "title"))
	set("search", Str(p, "search"))
	if u, err := url.Parse(Str(p, "url")); err == nil {
		for _, k := range []string{"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"} {
			set(k, u.Query().Get(k))
		}
	}
}

func pagePath(props, page map[string]any) string {
	for _, p := range []map[string]any{props, page} {
		if s := Str(p, "path"); s != "" {
			return s
		}
		if u, err := url.Parse(Str(p, "url")); err == nil && u.Path != "" {
			return u.Path
		}
	}
	return ""
}

func first(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// dedupe keeps the last value of each attribute key.
func dedupe(e *event.Event) {
	if len(e.Attributes) < 2 {
		return
	}
	last := make(map[string]int, len(e.Attributes))
	for i, a := range e.Attributes {
		last[a.Key] = i
	}
	out := e.Attributes[:0]
	for i, a := range e.Attributes {
		if last[a.Key] == i {
			out = append(out, a)
		}
	}
	e.Attributes = out
}
