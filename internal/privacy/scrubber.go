package privacy

import (
	"context"
	"encoding/json"
	"log/slog"
	"sort"
	"strings"

	"github.com/lore-dev/lore/internal/cache"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
)

// SettingsSource reads a project's privacy settings document (the
// metadata store's ProjectSettings with SettingsName).
type SettingsSource interface {
	ProjectSettings(ctx context.Context, project int64, name string) (json.RawMessage, error)
}

// Scrubber is the privacy processor: the first ingest processor, it
// scrubs every event of a batch by its project's settings. It caches the
// settings for cache.Staleness (another node may change them);
// Invalidate drops a project's at once after they change. It is safe for
// concurrent use.
type Scrubber struct {
	src   SettingsSource
	log   *slog.Logger
	count func(field string, n int) // counts scrubbed values; may be nil

	settings *cache.TTL[int64, *compiled]
}

var _ ingest.Processor = (*Scrubber)(nil)

// NewScrubber builds a Scrubber reading settings from src (nil: the
// defaults for every project); count, when not nil, is told how many
// values of each event were scrubbed.
func NewScrubber(src SettingsSource, log *slog.Logger, count func(kind string, n int)) *Scrubber {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Scrubber{src: src, log: log, count: count, settings: cache.New[int64, *compiled](cache.Staleness, nil)}
}

// Invalidate forgets a project's cached settings.
func (s *Scrubber) Invalidate(project int64) {
	s.settings.Delete(func(p int64) bool { return p == project })
}

func (s *Scrubber) project(ctx context.Context, id int64) (*compiled, error) {
	if c, ok := s.settings.Get(id); ok {
		return c, nil
	}
	st := Settings{}
	if s.src != nil {
		doc, err := s.src.ProjectSettings(ctx, id, SettingsName)
		if err != nil {
			return nil, err
		}
		if st, err = ParseSettings(doc); err != nil {
			// Stored settings were checked when set; if they no longer
			// read, scrub by the defaults rather than not at all.
			s.log.Warn("privacy settings unreadable; scrubbing by the defaults", "project", id, "err", err)
			st = Settings{}
		}
	}
	c, _ := compile(st)
	if c == nil {
		c, _ = compile(Settings{})
	}
	s.settings.Put(id, c)
	return c, nil
}

// Process scrubs the events in place.
func (s *Scrubber) Process(ctx context.Context, events []event.Event) ([]event.Event, error) {
	var last int64 = -1
	var c *compiled
	for i := range events {
		e := &events[i]
		if e.ProjectID != last || c == nil {
			var err error
			if c, err = s.project(ctx, e.ProjectID); err != nil {
				return nil, err
			}
			last = e.ProjectID
		}
		if n := c.scrubEvent(e); n > 0 && s.count != nil {
			s.count(e.Kind, n)
		}
	}
	return events, nil
}

// Scrub scrubs one event by the default settings (for tests and tools).
func Scrub(e *event.Event) int {
	c, _ := compile(Settings{})
	return c.scrubEvent(e)
}

// ScrubWith scrubs one event by st, which must be valid.
func ScrubWith(st Settings, e *event.Event) (int, error) {
	c, err := compile(st)
	if err != nil {
		return 0, err
	}
	return c.scrubEvent(e), nil
}

// scrubEvent scrubs e and returns how many values it changed; the names
// of the fields that changed are added to AttrScrubbed.
func (c *compiled) scrubEvent(e *event.Event) int {
	if c.off {
		return 0
	}
	var fields []string
	text := func(name string, v *string) {
		if c.allow[name] {
			return
		}
		if out, changed := c.scrubText(*v); changed {
			*v = out
			fields = append(fields, name)
		}
	}
	text("message", &e.Message)
	text("name", &e.Name)
	text("endpoint", &e.Endpoint)
	for i := range e.Attributes {
		a := &e.Attributes[i]
		if a.Key == AttrScrubbed {
			continue
		}
		if v, changed := c.scrubAttr(a.Key, a.Value); changed {
			a.Value = v
			fields = append(fields, a.Key)
		}
	}
	if len(fields) == 0 {
		return 0
	}
	mark(e, fields)
	return len(fields)
}

// mark adds fields to e's AttrScrubbed list.
func mark(e *event.Event, fields []string) {
	for i := range e.Attributes {
		if e.Attributes[i].Key == AttrScrubbed {
			fields = append(fields, strings.Split(e.Attributes[i].Value, ",")...)
			e.Attributes[i].Value = joinUnique(fields)
			return
		}
	}
	e.Attributes = append(e.Attributes, event.Attr{Key: AttrScrubbed, Value: joinUnique(fields)})
}

func joinUnique(fs []string) string {
	sort.Strings(fs)
	out := fs[:0]
	for i, f := range fs {
		if f != "" && (i == 0 || f != fs[i-1]) {
			out = append(out, f)
		}
	}
	return strings.Join(out, ",")
}

// keyRule says what a field name alone decides: allowed (never scrubbed),
// denied (always scrubbed) or neither.
func (c *compiled) keyRule(key string) (allowed, denied bool) {
	k := normalizeKey(key)
	seg := lastSegment(k)
	if c.allow[k] || c.allow[seg] {
		return true, false
	}
	if c.deny[k] || c.deny[seg] || sensitiveName(key) {
		return false, true
	}
	return false, false
}

// keyClass is what a field name alone decides: keyRule's answer, and
// whether the IP rule applies to its value.
type keyClass struct{ allowed, denied, ip bool }

// maxKeyClasses bounds the names compiled.keys remembers: a client
// sending a new name on every event must not grow it without end.
const maxKeyClasses = 4096

// classify is key's keyClass, remembered.
func (c *compiled) classify(key string) keyClass {
	if k, ok := c.keys.Load(key); ok {
		return k.(keyClass)
	}
	var k keyClass
	k.allowed, k.denied = c.keyRule(key)
	k.ip = c.ip != IPKeep && ipName(key)
	if c.nKeys.Load() < maxKeyClasses {
		// Cloned: key may be a substring of a whole request body.
		if _, loaded := c.keys.LoadOrStore(strings.Clone(key), k); !loaded {
			c.nKeys.Add(1)
		}
	}
	return k
}

// scrubAttr scrubs one attribute's value.
func (c *compiled) scrubAttr(key, v string) (string, bool) {
	k := c.classify(key)
	switch {
	case k.allowed:
		return v, false
	case k.denied:
		if v == "" || v == Redacted {
			return v, false
		}
		return Redacted, true
	}
	if k.ip {
		if out := c.ipList(v); out != v {
			return out, true
		}
	}
	if looksJSON(v) {
		if out, changed, ok := c.scrubJSON(v); ok {
			return out, changed
		}
	}
	out, changed := c.scrubText(v)
	// The text rules can make a broken document whole (a control
	// character in a scrubbed value was what broke it): scrub the
	// document too, or the next pass would find its sensitive keys.
	if changed && looksJSON(out) {
		if doc, ch, ok := c.scrubJSON(out); ok && ch {
			out = doc
		}
	}
	return out, changed
}

// looksJSON reports whether v may be a JSON document: an object or an
// array.
func looksJSON(v string) bool {
	t := strings.TrimSpace(v)
	return len(t) > 1 && (t[0] == '{' || t[0] == '[')
}

// ipList applies the IP rule to a value that is an address or a
// comma-separated list of them (X-Forwarded-For).
func (c *compiled) ipList(v string) string {
	parts := strings.Split(v, ",")
	for i, p := range parts {
		t := strings.TrimSpace(p)
		if t == "" {
			continue
		}
		at := strings.Index(p, t)
		parts[i] = p[:at] + c.ipValue(t) + p[at+len(t):]
	}
	return strings.Join(parts, ",")
}
