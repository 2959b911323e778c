package privacy

import (
	"bytes"
	"encoding/json"
	"io"
)

// maxJSONDepth bounds the nesting scrubJSON walks; deeper documents are
// scrubbed as text.
const maxJSONDepth = 64

// member is one member of a JSON object, in document order.
type member struct {
	key string
	val any
}

// object is a JSON object with its members in order.
type object []member

// scrubJSON scrubs a JSON attribute (Sentry's exceptions and breadcrumbs,
// extra data): values under sensitive keys are replaced, strings get the
// text rules. ok is false when v is not one JSON document; the document
// is re-encoded (compact, members in order) only when something changed.
func (c *compiled) scrubJSON(v string) (out string, changed, ok bool) {
	dec := json.NewDecoder(bytes.NewReader([]byte(v)))
	dec.UseNumber()
	doc, err := readJSON(dec, 0)
	if err != nil {
		return "", false, false
	}
	if _, err := dec.Token(); err != io.EOF {
		return "", false, false
	}
	doc, changed = c.walk(doc, false)
	if !changed {
		return v, false, true
	}
	var b bytes.Buffer
	writeJSON(&b, doc)
	return b.String(), true, true
}

// walk scrubs a decoded document; secret says the value sits under a
// sensitive key.
func (c *compiled) walk(v any, secret bool) (any, bool) {
	switch v := v.(type) {
	case object:
		changed := false
		for i := range v {
			allowed, denied := c.keyRule(v[i].key)
			if allowed {
				continue
			}
			var ch bool
			v[i].val, ch = c.walk(v[i].val, secret || denied)
			changed = changed || ch
		}
		return v, changed
	case []any:
		changed := false
		for i := range v {
			var ch bool
			v[i], ch = c.walk(v[i], secret)
			changed = changed || ch
		}
		return v, changed
	case string:
		if secret {
			if v == "" || v == Redacted {
				return v, false
			}
			return Redacted, true
		}
		return c.scrubText(v)
	case json.Number, bool:
		if secret {
			return Redacted, true
		}
		if n, ok := v.(json.Number); ok && c.cards && len(n) >= 13 && luhn(string(n)) && n[0] >= '2' && n[0] <= '6' {
			return Redacted, true
		}
	}
	return v, false
}

func readJSON(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errTooDeep
	}
	t, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := t.(type) {
	case json.Delim:
		switch t {
		case '{':
			var o object
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := kt.(string)
				val, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				o = append(o, member{k, val})
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			if o == nil {
				o = object{}
			}
			return o, nil
		case '[':
			a := []any{}
			for dec.More() {
				val, err := readJSON(dec, depth+1)
				if err != nil {
					return nil, err
				}
				a = append(a, val)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return a, nil
		}
		return nil, errBadJSON
	default:
		return t, nil
	}
}

type jsonError string

func (e jsonError) Error() string { return string(e) }

const (
	errTooDeep = jsonError("JSON nested too deep")
	errBadJSON = jsonError("bad JSON")
)

func writeJSON(b *bytes.Buffer, v any) {
	switch v := v.(type) {
	case object:
		b.WriteByte('{')
		for i, m := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			k, _ := json.Marshal(m.key)
			b.Write(k)
			b.WriteByte(':')
			writeJSON(b, m.val)
		}
		b.WriteByte('}')
	case []any:
		b.WriteByte('[')
		for i, x := range v {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSON(b, x)
		}
		b.WriteByte(']')
	case json.Number:
		b.WriteString(string(v))
	case nil:
		b.WriteString("null")
	default:
		enc, _ := json.Marshal(v)
		b.Write(enc)
	}
}
