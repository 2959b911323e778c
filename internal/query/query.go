// Package query implements Lore's search syntax, one syntax for the search
// bar, the API, the CLI and alert rules:
//
//	level:error service:payment-service http_status:>=500 "rate limited" -env:staging trace_id:abc*
//
// Parse turns a query string into an AST (And, Or, Not, Text, Field) and
// Compile turns the AST into a SQL boolean expression with '?' placeholders
// and bound arguments for a Dialect. User text never becomes SQL text: every
// value, attribute key and pattern travels as an argument.
//
// The syntax:
//
//   - Bare words and "quoted phrases" search message, case-insensitively,
//     as substrings; time*out has a wildcard; backslash escapes (a\ b, 100\*).
//   - Terms are AND-ed; AND, OR and NOT (upper case) and a '-' prefix
//     combine them, parentheses group; NOT binds tighter than AND, AND
//     tighter than OR.
//   - field:value is an exact match on a core column (level and kind
//     lower-cased, level spellings such as warning or err normalized,
//     http_method upper-cased), or on an attribute for any other name
//     (dotted keys; a leading '@' forces an attribute: @type:click).
//     field:"quoted value", field:pay* and field:*pay* (wildcards),
//     field:* (present and non-empty), field:(a OR b) (a group of values).
//   - Numbers: http_status:>=500, retry:>2, duration:>1.5s or >250ms
//     (duration_ms), status:[500 TO 599] (inclusive) or {499 TO 600}
//     (exclusive, '*' open); on attributes the value is read as a number
//     and non-numbers never match.
//   - trace_id, span_id, parent_span_id: an exact id, or a hex prefix with
//     '*'; a non-hex trace id is hashed like ingest hashes it.
//   - Aliases: status, method, path and route, msg, svc, user, session,
//     trace, span, environment, type, retry, duration.
//   - Absent values never match a positive term, so -http_status:500
//     matches events without a status.
//
// The package also holds the time helpers the API and the CLI share:
// ParseTime, ParseRange, ParseStep and AutoStep.
package query

import "strings"

// Query is a parsed search. Root is nil for the empty query, which matches
// every event.
type Query struct {
	Text string // the query as the user typed it
	Root Node
}

// String renders q in canonical query syntax; parsing it again gives the
// same AST.
func (q *Query) String() string {
	if q == nil || q.Root == nil {
		return ""
	}
	return q.Root.String()
}

// Words are the lower-cased needles the message must contain for q to
// match, taken only from positive bare words and phrases AND-ed at the top
// of the query (a phrase is one needle; a wildcard word gives its literal
// pieces). They are substrings, not whole tokens: "pay" matches "payment".
// A store may use them to prune blocks with a token index only where that
// is sound for substrings. Words is nil when the query requires no needle.
func (q *Query) Words() []string {
	if q == nil || q.Root == nil {
		return nil
	}
	var words []string
	seen := map[string]bool{}
	add := func(w string) {
		w = strings.ToLower(w)
		if w != "" && !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	var walk func(n Node)
	walk = func(n Node) {
		switch n := n.(type) {
		case *And:
			for _, c := range n.Children {
				walk(c)
			}
		case *Text:
			for _, p := range n.Pieces {
				add(p)
			}
		}
	}
	walk(q.Root)
	return words
}
