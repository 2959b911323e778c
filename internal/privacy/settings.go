// Package privacy scrubs secrets and personal data from events at ingest,
// before anything is stored or indexed: values under sensitive keys
// (password, token, authorization, cookie, api_key…), secrets written
// into text (password=…, Bearer …, AWS and GitHub keys, JWTs, private key
// blocks, passwords in URLs), card numbers that pass the Luhn check, and,
// when a project asks, e-mail addresses, IP addresses and its own
// patterns. It runs first among the ingest processors, so the pattern
// templates, issue titles and the field catalogue's examples only ever see
// scrubbed text. A scrubbed value is replaced by Redacted and the event
// lists the fields it lost in the lore.scrubbed attribute.
package privacy

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
)

// SettingsName is the name of the projects' privacy settings document in
// the metadata store.
const SettingsName = "privacy"

// Redacted replaces what is scrubbed.
const Redacted = "[scrubbed]"

// AttrScrubbed lists, comma-separated, the fields of an event that lost a
// value to scrubbing ("message", "password", "sentry.breadcrumbs"), so the
// loss is visible.
const AttrScrubbed = "lore.scrubbed"

// IP address handling.
const (
	IPKeep     = "keep"     // stored as sent (the default)
	IPTruncate = "truncate" // IPv4 to /24 (last octet 0), IPv6 to /48
	IPDrop     = "drop"     // replaced by Redacted
)

// Limits of a settings document.
const (
	maxPatterns   = 50
	maxPatternLen = 500
	maxFields     = 200
	maxFieldLen   = 200
)

// Settings are a project's privacy settings. The zero value is the
// default: scrubbing on for secrets and card numbers, e-mail and IP
// addresses kept.
type Settings struct {
	// Disabled turns scrubbing off for the project: events are stored as
	// sent.
	Disabled bool `json:"disabled"`
	// Emails scrubs e-mail addresses wherever they appear.
	Emails bool `json:"emails"`
	// KeepCardNumbers keeps numbers that look like payment cards (13 to
	// 19 digits passing the Luhn check), which are scrubbed by default.
	KeepCardNumbers bool `json:"keep_card_numbers"`
	// IPAddresses is IPKeep (or empty), IPTruncate or IPDrop.
	IPAddresses string `json:"ip_addresses"`
	// DenyFields are more field names (attribute keys, whole or their
	// last dotted segment, case-insensitive) whose values are always
	// scrubbed.
	DenyFields []string `json:"deny_fields"`
	// AllowFields are field names never scrubbed, even when their name or
	// value looks sensitive.
	AllowFields []string `json:"allow_fields"`
	// Patterns are regular expressions (Go's RE2 syntax) whose matches are
	// scrubbed from every text value.
	Patterns []string `json:"patterns"`
}

// ParseSettings reads a settings document, checking it: unknown fields,
// a bad IP mode or a pattern that does not compile are errors that quote
// the bad value.
func ParseSettings(doc []byte) (Settings, error) {
	var st Settings
	if len(strings.TrimSpace(string(doc))) == 0 {
		return st, nil
	}
	dec := json.NewDecoder(strings.NewReader(string(doc)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return Settings{}, fmt.Errorf("read privacy settings: %w", err)
	}
	if _, err := compile(st); err != nil {
		return Settings{}, err
	}
	return st, nil
}

// Validate checks settings as ParseSettings does.
func (st Settings) Validate() error {
	_, err := compile(st)
	return err
}

// compiled is a project's settings, ready to apply.
type compiled struct {
	off      bool
	emails   bool
	cards    bool
	ip       string
	deny     map[string]bool
	allow    map[string]bool
	patterns []*regexp.Regexp

	// keys remembers what a field name alone decides (keyClass), for up
	// to maxKeyClasses names: the same few names recur on every event.
	keys  sync.Map // string → keyClass
	nKeys atomic.Int32
}

func compile(st Settings) (*compiled, error) {
	c := &compiled{off: st.Disabled, emails: st.Emails, cards: !st.KeepCardNumbers,
		deny: map[string]bool{}, allow: map[string]bool{}}
	switch st.IPAddresses {
	case "", IPKeep:
		c.ip = IPKeep
	case IPTruncate, IPDrop:
		c.ip = st.IPAddresses
	default:
		return nil, fmt.Errorf("ip_addresses %q: want %q, %q or %q", st.IPAddresses, IPKeep, IPTruncate, IPDrop)
	}
	if len(st.DenyFields)+len(st.AllowFields) > maxFields {
		return nil, fmt.Errorf("%d deny and allow fields: at most %d", len(st.DenyFields)+len(st.AllowFields), maxFields)
	}
	for _, set := range []struct {
		name string
		in   []string
		out  map[string]bool
	}{{"deny_fields", st.DenyFields, c.deny}, {"allow_fields", st.AllowFields, c.allow}} {
		for _, f := range set.in {
			n := normalizeKey(f)
			if n == "" || len(f) > maxFieldLen {
				return nil, fmt.Errorf("%s: bad field name %q", set.name, f)
			}
			set.out[n] = true
		}
	}
	if len(st.Patterns) > maxPatterns {
		return nil, fmt.Errorf("%d patterns: at most %d", len(st.Patterns), maxPatterns)
	}
	for _, p := range st.Patterns {
		if p == "" || len(p) > maxPatternLen {
			return nil, fmt.Errorf("pattern %q: want 1 to %d characters", p, maxPatternLen)
		}
		re, err := regexp.Compile(p)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %w", p, err)
		}
		if re.MatchString("") {
			return nil, fmt.Errorf("pattern %q matches the empty string", p)
		}
		c.patterns = append(c.patterns, re)
	}
	return c, nil
}

// Describe lists, in words, what the settings scrub.
func (st Settings) Describe() []string {
	if st.Disabled {
		return []string{"scrubbing is off: events are stored as sent"}
	}
	out := []string{"secrets: values of password, token, authorization, cookie, api_key… fields; password=…, Bearer …, keys and tokens in text"}
	if !st.KeepCardNumbers {
		out = append(out, "card numbers (Luhn-checked)")
	}
	if st.Emails {
		out = append(out, "e-mail addresses")
	}
	switch st.IPAddresses {
	case IPTruncate:
		out = append(out, "IP addresses truncated (IPv4 /24, IPv6 /48)")
	case IPDrop:
		out = append(out, "IP addresses dropped")
	}
	if len(st.DenyFields) > 0 {
		out = append(out, "fields "+strings.Join(st.DenyFields, ", "))
	}
	if len(st.Patterns) > 0 {
		out = append(out, fmt.Sprintf("%d custom patterns", len(st.Patterns)))
	}
	if len(st.AllowFields) > 0 {
		out = append(out, "never scrubbed: "+strings.Join(st.AllowFields, ", "))
	}
	return out
}
