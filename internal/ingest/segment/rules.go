package segment

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// Options tell a product-capture decoder what the body itself does not. The
// PostHog decoder (internal/ingest/posthog) shares them and the rules below.
type Options struct {
	ProjectID int64
	Now       int64  // µs; ReceivedAt and the clamp reference (0: the clock)
	UserAgent string // the request's User-Agent, used when the body names none
	IP        string // the client address, used when the body names none
	// MaxFuture is how far ahead of Now a timestamp may be before it is
	// clamped to Now and flagged; default 10 minutes.
	MaxFuture time.Duration
	// MaxValueBytes caps one property value, MaxPropertyBytes all of an
	// event's properties together, MaxProperties their number; beyond
	// them values are truncated (or properties cut) and the event is
	// flagged. Defaults 8 KiB, 64 KiB and 256.
	MaxValueBytes    int
	MaxPropertyBytes int
	MaxProperties    int
}

// WithDefaults fills the zero fields of o.
func (o Options) WithDefaults() Options {
	if o.Now <= 0 {
		o.Now = time.Now().UnixMicro()
	}
	if o.MaxFuture <= 0 {
		o.MaxFuture = 10 * time.Minute
	}
	if o.MaxValueBytes <= 0 {
		o.MaxValueBytes = 8 << 10
	}
	if o.MaxPropertyBytes <= 0 {
		o.MaxPropertyBytes = 64 << 10
	}
	if o.MaxProperties <= 0 {
		o.MaxProperties = 256
	}
	return o
}

// Rejection tells why one message of a body was refused. Reason is short
// and stable ("missing event name", "missing id", "invalid message");
// Detail quotes the bad value.
type Rejection struct {
	Index  int    `json:"index"` // 0-based position in the batch
	Reason string `json:"reason"`
	Detail string `json:"detail,omitempty"`
}

// Result is what a decoder made of a body.
type Result struct {
	Events   []event.Event
	Rejected []Rejection
	// WriteKey is the key the body names (analytics-next sends its write
	// key as "writeKey"), for the server to authenticate.
	WriteKey string
}

// Flags set on events that were changed to be accepted; they are never
// changed silently.
const (
	// FlagClampedTS marks an event whose timestamp lay too far in the
	// future and was set to its arrival time; FlagOriginalTS keeps the
	// timestamp as sent.
	FlagClampedTS  = "lore.ts_clamped"
	FlagOriginalTS = "lore.original_ts"
	// FlagTruncated marks an event whose properties were truncated;
	// FlagDroppedProps counts the properties cut beyond the limits.
	FlagTruncated    = "lore.truncated"
	FlagDroppedProps = "lore.truncated_properties"
)

// Finish applies the rules every captured product event obeys: it must
// have a name and a user or anonymous id (else the reason is returned);
// a timestamp far in the future is clamped to Now and flagged; oversized
// properties are truncated and flagged; the user agent becomes browser,
// os and device_type attributes. Attributes end sorted by key.
func Finish(e *event.Event, o Options) (reason, detail string) {
	if strings.TrimSpace(e.Name) == "" {
		return "missing event name", "an event needs a name (event, or name for page and screen calls)"
	}
	if e.UserID == "" && e.AnonymousID == "" {
		return "missing id", fmt.Sprintf("event %q has neither a user id nor an anonymous id", clip(e.Name, 64))
	}
	e.ProjectID = o.ProjectID
	e.ReceivedAt = o.Now
	if e.TS <= 0 {
		e.TS = o.Now
	}
	if ua, _ := e.Attr("user_agent"); ua != "" {
		b, osName, dev := ParseUserAgent(ua)
		setDefault(e, "browser", b)
		setDefault(e, "os", osName)
		setDefault(e, "device_type", dev)
	}
	truncate(e, o)
	if e.TS > o.Now+o.MaxFuture.Microseconds() {
		e.Attributes = append(e.Attributes,
			event.Attr{Key: FlagClampedTS, Value: "true"},
			event.Attr{Key: FlagOriginalTS, Value: event.FormatMicros(e.TS)})
		e.TS = o.Now
	}
	sort.SliceStable(e.Attributes, func(i, j int) bool { return e.Attributes[i].Key < e.Attributes[j].Key })
	return "", ""
}

func setDefault(e *event.Event, key, value string) {
	if value == "" {
		return
	}
	if _, ok := e.Attr(key); !ok {
		e.Attributes = append(e.Attributes, event.Attr{Key: key, Value: value})
	}
}

// truncate cuts values longer than MaxValueBytes, and properties beyond
// MaxProperties or MaxPropertyBytes, flagging the event when it does.
func truncate(e *event.Event, o Options) {
	cut, dropped, total := false, 0, 0
	kept := e.Attributes[:0]
	for _, a := range e.Attributes {
		if len(a.Value) > o.MaxValueBytes {
			a.Value = clip(a.Value, o.MaxValueBytes)
			cut = true
		}
		if len(kept) >= o.MaxProperties || total+len(a.Key)+len(a.Value) > o.MaxPropertyBytes {
			dropped++
			continue
		}
		total += len(a.Key) + len(a.Value)
		kept = append(kept, a)
	}
	e.Attributes = kept
	if len(e.Message) > o.MaxValueBytes {
		e.Message, cut = clip(e.Message, o.MaxValueBytes), true
	}
	if len(e.Name) > 1024 {
		e.Name, cut = clip(e.Name, 1024), true
	}
	if cut || dropped > 0 {
		e.Attributes = append(e.Attributes, event.Attr{Key: FlagTruncated, Value: "true"})
	}
	if dropped > 0 {
		e.Attributes = append(e.Attributes, event.Attr{Key: FlagDroppedProps, Value: strconv.Itoa(dropped)})
	}
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// Flatten appends the properties of v to attrs as dotted keys under
// prefix: nested objects become "a.b", arrays their JSON text, numbers
// their literal, booleans "true"/"false"; nulls are skipped.
func Flatten(attrs []event.Attr, prefix string, v any) []event.Attr {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			key := k
			if prefix != "" {
				key = prefix + "." + k
			}
			attrs = Flatten(attrs, key, x[k])
		}
	case nil:
	default:
		if prefix == "" {
			return attrs
		}
		attrs = append(attrs, event.Attr{Key: prefix, Value: Text(x)})
	}
	return attrs
}

// Text renders a decoded JSON value as attribute text.
func Text(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// Str returns m[key] as a string when it is a string or a number.
func Str(m map[string]any, key string) string {
	switch x := m[key].(type) {
	case string:
		return strings.TrimSpace(x)
	case json.Number:
		return x.String()
	}
	return ""
}

// Obj returns m[key] when it is an object.
func Obj(m map[string]any, key string) map[string]any {
	o, _ := m[key].(map[string]any)
	return o
}

// ParseTS reads a timestamp given as RFC 3339 text or epoch seconds,
// milliseconds or microseconds; 0 when absent or unreadable.
func ParseTS(v any) int64 {
	switch x := v.(type) {
	case string:
		if x == "" {
			return 0
		}
		if t, err := event.ParseTime(x); err == nil {
			return t
		}
	case json.Number:
		if us, ok := event.ParseEpoch(x.String()); ok {
			return us
		}
	}
	return 0
}
