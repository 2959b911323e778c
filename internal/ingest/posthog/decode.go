// Package posthog decodes PostHog's capture API
// (https://posthog.com/docs/api/capture): POST /capture/, /batch/ and /e/,
// with the project key in the body ("api_key" or "token"), as one event, a
// {"batch": [...]} object or a JSON array; plain, gzip (gzip-js) or as a
// form or raw body of base64 text. Product events follow the shared
// rules of internal/ingest/segment.
package posthog

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/segment"
)

// ErrInvalidBody is wrapped when the body as a whole cannot be read.
var ErrInvalidBody = errors.New("invalid PostHog body")

// Body is an unpacked capture request: the key it names and its
// messages, not yet decoded into events.
type Body struct {
	Key      string
	SentAt   int64
	Messages []map[string]any
}

// Unpack undoes the body's envelope: form encoding (data=…), base64 and
// gzip, then reads the JSON. compression is the request's ?compression=
// ("gzip-js", "gzip", "base64" or ""); maxBytes bounds decompression.
func Unpack(body []byte, contentType, compression string, maxBytes int64) (Body, error) {
	root, err := unpackJSON(body, contentType, compression, maxBytes)
	if err != nil {
		return Body{}, err
	}
	var out Body
	var items []any
	switch x := root.(type) {
	case []any:
		items = x
	case map[string]any:
		out.Key = key(x)
		out.SentAt = segment.ParseTS(x["sent_at"])
		if batch, ok := x["batch"].([]any); ok {
			items = batch
		} else if _, ok := x["event"]; ok {
			items = []any{x}
		} else {
			return Body{}, fmt.Errorf("%w: the object has neither \"batch\" nor \"event\"", ErrInvalidBody)
		}
	default:
		return Body{}, fmt.Errorf("%w: the body must be a JSON object or array", ErrInvalidBody)
	}
	for _, it := range items {
		m, _ := it.(map[string]any)
		out.Messages = append(out.Messages, m) // nil items are rejected by Decode
		if out.Key == "" && m != nil {
			out.Key = key(m)
		}
	}
	return out, nil
}

// Request is a PostHog request that is not a capture — /flags, /decide,
// a recording (/s/): its key ("token" or "api_key") and its JSON object.
type Request struct {
	Key  string
	Body map[string]any
}

// UnpackRequest undoes a /flags or /decide body's envelope as Unpack does
// and reads its key.
func UnpackRequest(body []byte, contentType, compression string, maxBytes int64) (Request, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return Request{}, nil
	}
	root, err := unpackJSON(body, contentType, compression, maxBytes)
	if err != nil {
		return Request{}, err
	}
	m, ok := root.(map[string]any)
	if !ok {
		return Request{}, fmt.Errorf("%w: the body must be a JSON object", ErrInvalidBody)
	}
	return Request{Key: key(m), Body: m}, nil
}

// unpackJSON undoes form encoding, base64 and gzip, and reads the JSON.
func unpackJSON(body []byte, contentType, compression string, maxBytes int64) (any, error) {
	b := bytes.TrimSpace(body)
	if strings.HasPrefix(contentType, "application/x-www-form-urlencoded") || bytes.HasPrefix(b, []byte("data=")) {
		form, err := url.ParseQuery(string(b))
		if err != nil {
			return nil, fmt.Errorf("%w: cannot parse form body: %v", ErrInvalidBody, err)
		}
		b = []byte(form.Get("data"))
		if c := form.Get("compression"); c != "" {
			compression = c
		}
	}
	switch strings.ToLower(compression) {
	case "", "gzip", "gzip-js", "base64":
	default:
		return nil, fmt.Errorf("%w: unsupported compression %q: send gzip-js, base64 or none", ErrInvalidBody, compression)
	}
	if len(b) > 0 && b[0] != '{' && b[0] != '[' && b[0] != 0x1f {
		dec, err := decodeBase64(b)
		if err != nil {
			return nil, fmt.Errorf("%w: neither JSON nor base64: %v", ErrInvalidBody, err)
		}
		b = dec
	}
	if len(b) > 1 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: cannot read gzip: %v", ErrInvalidBody, err)
		}
		lim := maxBytes
		if lim <= 0 {
			lim = 64 << 20
		}
		out, err := io.ReadAll(io.LimitReader(zr, lim+1))
		if err != nil {
			return nil, fmt.Errorf("%w: cannot read gzip: %v", ErrInvalidBody, err)
		}
		if int64(len(out)) > lim {
			return nil, fmt.Errorf("%w: decompressed body exceeds %d bytes", ErrInvalidBody, lim)
		}
		b = out
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidBody, err)
	}
	return root, nil
}

func decodeBase64(b []byte) ([]byte, error) {
	s := strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == ' ' {
			return -1
		}
		return r
	}, string(b))
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if out, err := enc.DecodeString(s); err == nil {
			return out, nil
		}
	}
	return nil, fmt.Errorf("bad base64 starting %q", clip(s, 16))
}

func key(m map[string]any) string {
	if k := segment.Str(m, "api_key"); k != "" {
		return k
	}
	if k := segment.Str(m, "token"); k != "" {
		return k
	}
	return segment.Str(segment.Obj(m, "properties"), "token")
}

// Decode turns the unpacked messages into events.
func Decode(b Body, o segment.Options) segment.Result {
	o = o.WithDefaults()
	res := segment.Result{Events: make([]event.Event, 0, len(b.Messages))}
	for i, m := range b.Messages {
		if m == nil {
			res.Rejected = append(res.Rejected, segment.Rejection{Index: i, Reason: "invalid message", Detail: "a batch item must be an object"})
			continue
		}
		e := toEvent(m, b.SentAt, o)
		if reason, detail := segment.Finish(&e, o); reason != "" {
			res.Rejected = append(res.Rejected, segment.Rejection{Index: i, Reason: reason, Detail: detail})
			continue
		}
		res.Events = append(res.Events, e)
	}
	return res
}

// Property names PostHog's SDKs send that map onto core columns or Lore's
// attribute names; they are not repeated as attributes.
var renamed = map[string]string{
	"$current_url":           "url",
	"$pathname":              "path",
	"$referrer":              "referrer",
	"$referring_domain":      "referring_domain",
	"$browser":               "browser",
	"$os":                    "os",
	"$device_type":           "device_type",
	"$raw_user_agent":        "user_agent",
	"$useragent":             "user_agent",
	"$ip":                    "ip",
	"$lib":                   "lib",
	"$lib_version":           "lib_version",
	"$title":                 "title",
	"$browser_language":      "locale",
	"$exception_message":     "",
	"$exception_type":        "",
	"$exception_list":        "",
	"$exception_level":       "",
	"$exception_fingerprint": "",
	"$session_id":            "",
	"$anon_distinct_id":      "",
	"$device_id":             "",
	"$set":                   "",
	"token":                  "",
	"distinct_id":            "",
	"alias":                  "",
	"$app_version":           "",
	"$exception_stack":       "stack",
	"service":                "",
	"env":                    "",
}

func toEvent(m map[string]any, sentAt int64, o segment.Options) event.Event {
	var e event.Event
	props := segment.Obj(m, "properties")
	name := segment.Str(m, "event")
	distinct := segment.Str(m, "distinct_id")
	if distinct == "" {
		distinct = segment.Str(props, "distinct_id")
	}
	e.Kind = event.KindEvent
	e.Name = name
	e.SessionID = segment.Str(props, "$session_id")
	e.Release = segment.Str(props, "$app_version")
	e.Service = segment.Str(props, "service")
	e.Env = segment.Str(props, "env")
	anonymous := segment.Text(props["$is_identified"]) == "false" || // posthog-js sends a boolean
		distinct != "" && distinct == segment.Str(props, "$device_id")
	switch name {
	case "$identify":
		e.UserID, e.AnonymousID = distinct, segment.Str(props, "$anon_distinct_id")
	case "$create_alias":
		// The alias is another id of the same person.
		e.UserID, e.AnonymousID = distinct, segment.Str(props, "alias")
		if e.UserID == "" || e.AnonymousID == "" {
			e.UserID, e.AnonymousID = "", ""
		}
	default:
		if anonymous {
			e.AnonymousID = distinct
		} else {
			e.UserID = distinct
			e.AnonymousID = segment.Str(props, "$anon_distinct_id")
		}
	}
	switch name {
	case "$pageview", "$screen":
		e.Kind = event.KindPageview
		e.Name = segment.Str(props, "$pathname")
		if e.Name == "" {
			if u, err := url.Parse(segment.Str(props, "$current_url")); err == nil && u.Path != "" {
				e.Name = u.Path
			}
		}
		if e.Name == "" {
			e.Name = segment.Str(props, "$screen_name")
		}
		if e.Name == "" {
			e.Name = segment.NamePageview
		}
	case "$exception":
		toException(&e, props)
	}
	e.TS = segment.ParseTS(m["timestamp"])
	if e.TS == 0 {
		e.TS = segment.ParseTS(props["$time"])
	}
	if e.TS != 0 && sentAt != 0 {
		e.TS += o.Now - sentAt
	} else if off, ok := m["offset"].(json.Number); ok && e.TS == 0 {
		if ms, err := off.Int64(); err == nil {
			e.TS = o.Now - ms*1000
		}
	}
	if id := segment.Str(m, "uuid"); id != "" {
		e.Attributes = append(e.Attributes, event.Attr{Key: "message_id", Value: id})
	}
	ua := o.UserAgent
	for k, v := range props {
		if to, ok := renamed[k]; ok {
			if to == "user_agent" {
				ua = segment.Text(v)
			} else if to == "device_type" {
				// posthog-js says "Desktop", Segment "desktop": one spelling.
				e.Attributes = append(e.Attributes, event.Attr{Key: to, Value: strings.ToLower(segment.Text(v))})
			} else if to != "" {
				e.Attributes = append(e.Attributes, event.Attr{Key: to, Value: segment.Text(v)})
			}
			continue
		}
		if k == "$set" {
			continue
		}
		e.Attributes = segment.Flatten(e.Attributes, k, v)
	}
	e.Attributes = segment.Flatten(e.Attributes, "", segment.Obj(m, "$set"))
	e.Attributes = segment.Flatten(e.Attributes, "", segment.Obj(props, "$set"))
	if ua != "" {
		e.Attributes = append(e.Attributes, event.Attr{Key: "user_agent", Value: ua})
	}
	if ip := segment.Str(props, "$ip"); ip == "" && o.IP != "" {
		e.Attributes = append(e.Attributes, event.Attr{Key: "ip", Value: o.IP})
	}
	if u, err := url.Parse(segment.Str(props, "$current_url")); err == nil {
		if _, ok := props["$pathname"]; !ok && u.Path != "" {
			e.Attributes = append(e.Attributes, event.Attr{Key: "path", Value: u.Path})
		}
	}
	// A traceparent or a sentry-trace (from a page where Sentry's SDK
	// started the trace) joins the event to the request's journey.
	if tp := firstOf(segment.Str(props, "traceparent"), segment.Str(props, "sentry-trace"), segment.Str(props, "$sentry_trace")); tp != "" {
		if t, s, ok := event.ParseTraceHeader(tp); ok {
			e.TraceID, e.SpanID = t, s
		}
	}
	dedupe(&e)
	return e
}

func dedupe(e *event.Event) {
	seen := make(map[string]int, len(e.Attributes))
	out := e.Attributes[:0]
	for _, a := range e.Attributes {
		if i, ok := seen[a.Key]; ok {
			out[i] = a
			continue
		}
		seen[a.Key] = len(out)
		out = append(out, a)
	}
	e.Attributes = out
}

func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
