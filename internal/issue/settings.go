package issue

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/event"
)

// Settings are a project's grouping rules and noise controls, stored as one
// JSON document in the metadata database.
type Settings struct {
	// FingerprintRules group matching errors under a name, overriding the
	// default grouping and SDK fingerprints, first match wins:
	// "error_type:TimeoutError endpoint:/api/pay* -> payment-timeouts".
	FingerprintRules []string `json:"fingerprint_rules,omitempty"`
	// Filters drop matching errors at ingest (counted, never stored).
	Filters Filters `json:"filters"`
	// RateLimitPerMinute caps the error events stored per fingerprint and
	// minute; 0 means no limit. Events over the limit are counted.
	RateLimitPerMinute int `json:"rate_limit_per_minute,omitempty"`
	// Levels are the levels at which logs and failed spans become error
	// events, grouped into issues; empty means DefaultLevels.
	Levels []string `json:"levels,omitempty"`
}

// DefaultLevels are the levels that become issues unless a project's
// settings choose others.
var DefaultLevels = []string{event.LevelError, event.LevelFatal}

// levelSet is a project's issue levels.
type levelSet map[string]bool

func (l levelSet) has(level string) bool { return l[level] }

// Filters are inbound filters. Each list matches any of its values; string
// values may use * as a wildcard.
type Filters struct {
	HTTPStatus   []int    `json:"http_status,omitempty"`  // e.g. [404]
	ErrorTypes   []string `json:"error_types,omitempty"`  // e.g. ["ValidationError"]
	Messages     []string `json:"messages,omitempty"`     // e.g. ["*context canceled*"]
	Releases     []string `json:"releases,omitempty"`     // e.g. ["shop@0.9.*"]
	Environments []string `json:"environments,omitempty"` // e.g. ["dev"]
}

// Rule is a parsed fingerprint rule.
type Rule struct {
	Matchers []Matcher
	Name     string
}

// Matcher is one field:glob condition of a rule.
type Matcher struct {
	Field, Glob string
}

// ParseRule reads "field:glob field:glob -> name".
func ParseRule(s string) (Rule, error) {
	lhs, name, ok := strings.Cut(s, "->")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Rule{}, fmt.Errorf("fingerprint rule %q: want \"field:value ... -> name\"", s)
	}
	var r Rule
	r.Name = name
	for _, tok := range strings.Fields(lhs) {
		f, g, ok := strings.Cut(tok, ":")
		if !ok || f == "" || g == "" {
			return Rule{}, fmt.Errorf("fingerprint rule %q: bad matcher %q: want field:value", s, tok)
		}
		r.Matchers = append(r.Matchers, Matcher{Field: f, Glob: strings.Trim(g, `"`)})
	}
	if len(r.Matchers) == 0 {
		return Rule{}, fmt.Errorf("fingerprint rule %q: no matcher before ->", s)
	}
	return r, nil
}

// Match reports whether every matcher of r matches e.
func (r Rule) Match(e *event.Event) bool {
	for _, m := range r.Matchers {
		if !Glob(m.Glob, FieldValue(e, m.Field)) {
			return false
		}
	}
	return true
}

// compiled is a project's settings, parsed.
type compiled struct {
	Settings
	rules  []Rule
	levels levelSet
}

func compile(doc []byte) (*compiled, error) {
	var c compiled
	if len(doc) > 0 {
		if err := json.Unmarshal(doc, &c.Settings); err != nil {
			return nil, fmt.Errorf("issue settings: %w", err)
		}
	}
	for _, s := range c.FingerprintRules {
		r, err := ParseRule(s)
		if err != nil {
			return nil, err
		}
		c.rules = append(c.rules, r)
	}
	if c.RateLimitPerMinute < 0 {
		return nil, fmt.Errorf("issue settings: rate_limit_per_minute %d is negative", c.RateLimitPerMinute)
	}
	levels := c.Levels
	if len(levels) == 0 {
		levels = DefaultLevels
	}
	c.levels = levelSet{}
	for _, l := range levels {
		if !slices.Contains(allLevels, l) {
			return nil, fmt.Errorf("issue settings: level %q: want some of %s", l, strings.Join(allLevels, ", "))
		}
		c.levels[l] = true
	}
	return &c, nil
}

// allLevels are the levels an issue setting may name.
var allLevels = []string{event.LevelDebug, event.LevelInfo, event.LevelWarn, event.LevelError, event.LevelFatal}

// ValidateSettings parses a settings document, returning the first error.
func ValidateSettings(doc []byte) (Settings, error) {
	c, err := compile(doc)
	if err != nil {
		return Settings{}, err
	}
	return c.Settings, nil
}

// filter returns the reason e is dropped by an inbound filter, or "".
func (c *compiled) filter(e *event.Event) string {
	f := &c.Filters
	switch {
	case e.HTTPStatus != 0 && slices.Contains(f.HTTPStatus, int(e.HTTPStatus)):
		return "filter:http_status"
	case anyGlob(f.ErrorTypes, e.ErrorType):
		return "filter:error_type"
	case anyGlob(f.Messages, e.Message):
		return "filter:message"
	case anyGlob(f.Releases, e.Release):
		return "filter:release"
	case anyGlob(f.Environments, e.Env):
		return "filter:environment"
	}
	return ""
}

func anyGlob(globs []string, v string) bool {
	for _, g := range globs {
		if Glob(g, v) {
			return true
		}
	}
	return false
}

// Glob matches v against a pattern where * stands for any run of
// characters (slashes included).
func Glob(pattern, v string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == v
	}
	if !strings.HasPrefix(v, parts[0]) {
		return false
	}
	v = v[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(v, p)
		if i < 0 {
			return false
		}
		v = v[i+len(p):]
	}
	return strings.HasSuffix(v, last)
}

// FieldValue is the value of a core column or attribute of e as text, as
// the search syntax names them.
func FieldValue(e *event.Event, field string) string {
	switch field {
	case "kind":
		return e.Kind
	case "level":
		return e.Level
	case "service":
		return e.Service
	case "env", "environment":
		return e.Env
	case "release":
		return e.Release
	case "host":
		return e.Host
	case "user_id":
		return e.UserID
	case "name", "transaction":
		if field == "transaction" {
			if v, ok := e.Attr("transaction"); ok {
				return v
			}
		}
		return e.Name
	case "message":
		return e.Message
	case "http_method":
		return e.HTTPMethod
	case "endpoint":
		return e.Endpoint
	case "http_status":
		if e.HTTPStatus == 0 {
			return ""
		}
		return strconv.Itoa(int(e.HTTPStatus))
	case "error_type", "type":
		return e.ErrorType
	case "error_code":
		return e.ErrorCode
	}
	v, _ := e.Attr(field)
	return v
}
