package clickhouse

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// kind is how a column's text decodes.
type kind int

const (
	kString kind = iota // String, FixedString, dates, enums, UUIDs, …: text
	kInt                // Int8 … Int64: int64
	kUint               // UInt8 … UInt64: int64, or uint64 above MaxInt64
	kFloat              // Float32, Float64, Decimal: float64
	kNull               // Nothing: always NULL
	kNullable
	kArray
	kTuple
)

// colType is a parsed ClickHouse type name.
type colType struct {
	name  string
	kind  kind
	elems []colType // the element of Nullable and Array; a Tuple's
}

// parseType reads a type name such as Array(Nullable(String)).
func parseType(s string) (colType, error) {
	s = strings.TrimSpace(s)
	t := colType{name: s}
	open := strings.IndexByte(s, '(')
	if open < 0 {
		switch {
		case s == "Nothing":
			t.kind = kNull
		case s == "Float32" || s == "Float64":
			t.kind = kFloat
		case s == "Int8" || s == "Int16" || s == "Int32" || s == "Int64":
			t.kind = kInt
		case s == "UInt8" || s == "UInt16" || s == "UInt32" || s == "UInt64" || s == "Bool":
			t.kind = kUint
		default:
			t.kind = kString
		}
		return t, nil
	}
	if !strings.HasSuffix(s, ")") {
		return t, fmt.Errorf("clickhouse: type %q: unbalanced parentheses", s)
	}
	head, inner := s[:open], s[open+1:len(s)-1]
	switch head {
	case "Nullable", "LowCardinality", "Array":
		e, err := parseType(inner)
		if err != nil {
			return t, err
		}
		switch head {
		case "LowCardinality":
			e.name = s
			return e, nil
		case "Nullable":
			t.kind = kNullable
		default:
			t.kind = kArray
		}
		t.elems = []colType{e}
	case "Tuple":
		t.kind = kTuple
		for _, part := range splitTop(inner) {
			e, err := parseType(part)
			if err != nil {
				return t, err
			}
			// A named element ("a String", 21.x and later): the name's
			// word is not a type of its own.
			if sp := strings.IndexByte(strings.TrimSpace(part), ' '); sp > 0 && !strings.Contains(strings.TrimSpace(part)[:sp], "(") {
				if e2, err := parseType(strings.TrimSpace(part)[sp+1:]); err == nil {
					e = e2
				}
			}
			t.elems = append(t.elems, e)
		}
	case "Decimal", "Decimal32", "Decimal64", "Decimal128":
		t.kind = kFloat
	default:
		t.kind = kString // FixedString(n), DateTime('tz'), Enum8('a' = 1), …
	}
	return t, nil
}

// splitTop splits s at the commas outside parentheses and quotes.
func splitTop(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
		case '\'':
			for i++; i < len(s) && s[i] != '\''; i++ {
				if s[i] == '\\' {
					i++
				}
			}
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// decodeTSV decodes a TabSeparated field of type t.
func (t colType) decodeTSV(f string) (any, error) {
	switch t.kind {
	case kNull:
		return nil, nil
	case kNullable:
		if f == `\N` {
			return nil, nil
		}
		return t.elems[0].decodeTSV(f)
	case kString:
		return unescape(f)
	case kInt, kUint, kFloat:
		return t.number(f)
	}
	// Arrays and tuples are written in their quoted form, whose strings
	// carry the same escapes.
	p := &quoted{s: f}
	v, err := p.value(t)
	if err != nil {
		return nil, err
	}
	if p.i != len(f) {
		return nil, fmt.Errorf("trailing text after a %s: %.100q", t.name, f[p.i:])
	}
	return v, nil
}

func (t colType) number(f string) (any, error) {
	switch t.kind {
	case kInt:
		return strconv.ParseInt(f, 10, 64)
	case kUint:
		if f == "true" || f == "false" {
			return map[string]int64{"true": 1, "false": 0}[f], nil
		}
		u, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return nil, err
		}
		if u > math.MaxInt64 {
			return u, nil
		}
		return int64(u), nil
	}
	return strconv.ParseFloat(f, 64)
}

// quoted reads ClickHouse's quoted text form: 'strings' with backslash
// escapes, NULL, numbers, [arrays] and (tuples).
type quoted struct {
	s string
	i int
}

func (p *quoted) value(t colType) (any, error) {
	if t.kind == kNull || t.kind == kNullable {
		if strings.HasPrefix(p.s[p.i:], "NULL") {
			p.i += 4
			return nil, nil
		}
		if t.kind == kNull {
			return nil, fmt.Errorf("want NULL at %.50q", p.s[p.i:])
		}
		t = t.elems[0]
	}
	switch t.kind {
	case kArray, kTuple:
		open, end := byte('['), byte(']')
		if t.kind == kTuple {
			open, end = '(', ')'
		}
		if p.i >= len(p.s) || p.s[p.i] != open {
			return nil, fmt.Errorf("want %c at %.50q", open, p.s[p.i:])
		}
		p.i++
		out := []any{}
		for n := 0; ; n++ {
			if p.i < len(p.s) && p.s[p.i] == end {
				p.i++
				return out, nil
			}
			if n > 0 {
				if p.i >= len(p.s) || p.s[p.i] != ',' {
					return nil, fmt.Errorf("want , or %c at %.50q", end, p.s[p.i:])
				}
				p.i++
			}
			et := colType{kind: kString}
			if t.kind == kArray {
				et = t.elems[0]
			} else if n < len(t.elems) {
				et = t.elems[n]
			}
			v, err := p.value(et)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	case kString:
		if p.i < len(p.s) && p.s[p.i] == '\'' {
			return p.str()
		}
	}
	// A number, or a bare token of another type.
	j := p.i
	for j < len(p.s) && p.s[j] != ',' && p.s[j] != ']' && p.s[j] != ')' {
		j++
	}
	tok := p.s[p.i:j]
	p.i = j
	if t.kind == kString {
		return tok, nil
	}
	return t.number(tok)
}

// str reads a quoted string.
func (p *quoted) str() (string, error) {
	var b strings.Builder
	for p.i++; p.i < len(p.s); p.i++ {
		c := p.s[p.i]
		switch c {
		case '\'':
			p.i++
			return b.String(), nil
		case '\\':
			p.i++
			if p.i == len(p.s) {
				return "", fmt.Errorf("a string ends in a lone backslash")
			}
			b.WriteByte(unescapeByte(p.s[p.i]))
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("an unterminated string")
}
