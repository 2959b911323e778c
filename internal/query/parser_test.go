package query

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	f := func(in, want string) {
		t.Helper()
		q, err := Parse(in)
		if err != nil {
			t.Errorf("Parse(%q): %v", in, err)
			return
		}
		if got := Dump(q.Root); got != want {
			t.Errorf("Parse(%q)\n got %s\nwant %s", in, got, want)
		}
		// The canonical form parses back to the same tree.
		q2, err := Parse(q.String())
		if err != nil {
			t.Errorf("Parse(%q) of the canonical form of %q: %v", q.String(), in, err)
			return
		}
		if got := Dump(q2.Root); got != want {
			t.Errorf("canonical form %q of %q parses to %s", q.String(), in, got)
		}
	}

	// The design's example.
	f(`level:error service:payment-service http_status:>=500 "rate limited" -env:staging trace_id:abc*`,
		`(AND (field level = "error") (field service = "payment-service") (field http_status >= "500") (text "rate limited") (NOT (field env = "staging")) (field trace_id glob "abc" ""))`)

	// Empty queries match everything.
	f(``, `(ALL)`)
	f("  \t\n", `(ALL)`)

	// Words and phrases search the message.
	f(`timeout`, `(text "timeout")`)
	f(`"connection reset by peer"`, `(text "connection reset by peer")`)
	f(`"say \"hi\" \\o/"`, `(text "say \"hi\" \\o/")`)
	f(`time*out`, `(text "time" "out")`)
	f(`100\*2`, `(text "100*2")`)
	f(`a\ b`, `(text "a b")`)
	f(`message:refused`, `(text "refused")`)
	f(`msg:"pool exhausted"`, `(text "pool exhausted")`)
	f(`msg:conn*`, `(text "conn" "")`)
	f(`message:*`, `(field message exists)`)
	f(`"AND"`, `(text "AND")`)
	f(`and or not`, `(AND (text "and") (text "or") (text "not"))`)
	f(`ORacle ANDroid`, `(AND (text "ORacle") (text "ANDroid"))`)
	f(`foo-bar`, `(text "foo-bar")`)
	f(`héllo wörld`, `(AND (text "héllo") (text "wörld"))`)

	// Boolean structure and precedence: NOT > AND > OR.
	f(`a b c`, `(AND (text "a") (text "b") (text "c"))`)
	f(`a AND b`, `(AND (text "a") (text "b"))`)
	f(`a OR b c`, `(OR (text "a") (AND (text "b") (text "c")))`)
	f(`a b OR c`, `(OR (AND (text "a") (text "b")) (text "c"))`)
	f(`NOT a b`, `(AND (NOT (text "a")) (text "b"))`)
	f(`NOT a OR b`, `(OR (NOT (text "a")) (text "b"))`)
	f(`NOT NOT a`, `(NOT (NOT (text "a")))`)
	f(`-(a OR b)`, `(NOT (OR (text "a") (text "b")))`)
	f(`(a OR b) c`, `(AND (OR (text "a") (text "b")) (text "c"))`)
	f(`((a))`, `(text "a")`)
	f(`(a b) c`, `(AND (AND (text "a") (text "b")) (text "c"))`)
	f(`a (b OR c)`, `(AND (text "a") (OR (text "b") (text "c")))`)
	f(`NOT(a)`, `(NOT (text "a"))`)
	f(`-"rate limited"`, `(NOT (text "rate limited"))`)

	// Core columns, aliases, normalized values.
	f(`level:ERROR`, `(field level = "error")`)
	f(`level:warning`, `(field level = "warn")`)
	f(`level:err`, `(field level = "error")`)
	f(`Level:Warn`, `(field level = "warn")`)
	f(`kind:Span`, `(field kind = "span")`)
	f(`method:get`, `(field http_method = "GET")`)
	f(`status:404`, `(field http_status = "404")`)
	f(`path:/api/checkout`, `(field endpoint = "/api/checkout")`)
	f(`route:/api/*`, `(field endpoint glob "/api/" "")`)
	f(`svc:web`, `(field service = "web")`)
	f(`user:u-42`, `(field user_id = "u-42")`)
	f(`session:s1`, `(field session_id = "s1")`)
	f(`environment:prod`, `(field env = "prod")`)
	f(`type:TimeoutError`, `(field error_type = "TimeoutError")`)
	f(`retry:>2`, `(field retry_attempt > "2")`)
	f(`service:"payment service"`, `(field service = "payment service")`)
	f(`service:""`, `(field service = "")`)
	f(`service:*`, `(field service exists)`)
	f(`service:pay*`, `(field service glob "pay" "")`)
	f(`service:*pay*`, `(field service glob "" "pay" "")`)
	f(`service:"pay*"`, `(field service = "pay*")`)
	f(`endpoint:/a:b`, `(field endpoint = "/a:b")`)
	f(`http_status:*`, `(field http_status exists)`)

	// Comparisons, durations and ranges.
	f(`http_status:>=500`, `(field http_status >= "500")`)
	f(`http_status:<400`, `(field http_status < "400")`)
	f(`duration_ms:>250`, `(field duration_ms > "250")`)
	f(`duration:>1.5s`, `(field duration_ms > "1500")`)
	f(`duration:<=250ms`, `(field duration_ms <= "250")`)
	f(`duration:>2m`, `(field duration_ms > "120000")`)
	f(`duration:>500us`, `(field duration_ms > "0.5")`)
	f(`duration_ms:12.5`, `(field duration_ms = "12.5")`)
	f(`http_status:[500 TO 599]`, `(AND (field http_status >= "500") (field http_status <= "599"))`)
	f(`http_status:{499 TO 600}`, `(AND (field http_status > "499") (field http_status < "600"))`)
	f(`http_status:[500 TO *]`, `(field http_status >= "500")`)
	f(`cart.items:[* TO 3}`, `(attr cart.items < "3")`)
	f(`retry_attempt:>-1`, `(field retry_attempt > "-1")`)

	// Attributes: any other field, dotted keys kept as typed.
	f(`http.route:/api/*`, `(attr http.route glob "/api/" "")`)
	f(`user.plan:"pro plan"`, `(attr user.plan = "pro plan")`)
	f(`Cart.Items:>2`, `(attr Cart.Items > "2")`)
	f(`db.rows:>=1e3`, `(attr db.rows >= "1000")`)
	f(`feature:*`, `(attr feature exists)`)
	f(`a\:b:c`, `(attr a:b = "c")`)
	f(`@type:click`, `(attr type = "click")`)
	f(`@Level:x`, `(attr Level = "x")`)
	f(`@@timestamp:*`, `(attr @timestamp exists)`)
	f(`@cart.items:>2`, `(attr cart.items > "2")`)
	f(`@ts:5`, `(attr ts = "5")`)

	// Field groups.
	f(`level:(error OR warning)`, `(OR (field level = "error") (field level = "warn"))`)
	f(`service:(web -api)`, `(AND (field service = "web") (NOT (field service = "api")))`)
	f(`http_status:(>=500 OR 404)`, `(OR (field http_status >= "500") (field http_status = "404"))`)

	// Trace and span ids.
	f(`trace_id:4BF92F3577B34DA6A3CE929D0E0E4736`, `(field trace_id = "4bf92f3577b34da6a3ce929d0e0e4736")`)
	f(`trace:4bf92f35-77b3-4da6-a3ce-929d0e0e4736`, `(field trace_id = "4bf92f3577b34da6a3ce929d0e0e4736")`)
	f(`trace_id:a3ce929d0e0e4736`, `(field trace_id = "0000000000000000a3ce929d0e0e4736")`)
	f(`trace_id:req-123`, `(field trace_id = "req-123")`)
	f(`trace_id:4BF9*`, `(field trace_id glob "4bf9" "")`)
	f(`trace_id:*`, `(field trace_id exists)`)
	f(`span_id:00F067AA0BA902B7`, `(field span_id = "00f067aa0ba902b7")`)
	f(`parent_span_id:00f0*`, `(field parent_span_id glob "00f0" "")`)
}

func TestParseErrors(t *testing.T) {
	f := func(in, want string, col int) {
		t.Helper()
		q, err := Parse(in)
		if err == nil {
			t.Errorf("Parse(%q) = %s, want error %q", in, Dump(q.Root), want)
			return
		}
		if err.Error() != want {
			t.Errorf("Parse(%q) error\n got %q\nwant %q", in, err.Error(), want)
		}
		var qe *Error
		if !errors.As(err, &qe) || qe.Column != col {
			t.Errorf("Parse(%q) error %#v, want column %d", in, err, col)
		}
	}
	f(`level:error service:x)`, `unexpected ")" at column 22`, 22)
	f(`(a OR b) ) c`, `unexpected ")" at column 10`, 10)
	f(`a "rate limited`, `missing closing quote for phrase starting at column 3`, 3)
	f(`service:"pay`, `missing closing quote for phrase starting at column 9`, 9)
	f(`level:>warn`, `cannot compare level with ">" at column 7`, 7)
	f(`service:<=x`, `cannot compare service with "<=" at column 9`, 9)
	f(`trace_id:>5`, `cannot compare trace_id with ">" at column 10`, 10)
	f(`:error`, `field name expected before ":" at column 1`, 1)
	f(`a :x`, `field name expected before ":" at column 3`, 3)
	f(`(a OR b`, `missing closing ")" for group starting at column 1`, 1)
	f(`a (`, `missing closing ")" for group starting at column 3`, 3)
	f(`()`, `empty group at column 1`, 1)
	f(`a OR`, `expected a term after "OR" at column 3`, 3)
	f(`a AND`, `expected a term after "AND" at column 3`, 3)
	f(`NOT`, `expected a term after "NOT" at column 1`, 1)
	f(`OR a`, `unexpected "OR" at column 1`, 1)
	f(`a OR OR b`, `unexpected "OR" at column 6`, 6)
	f(`a AND OR b`, `unexpected "OR" at column 7`, 7)
	f(`- a`, `nothing to negate after "-" at column 1`, 1)
	f(`a -`, `nothing to negate after "-" at column 3`, 3)
	f(`level:`, `value expected after "level:" at column 7`, 7)
	f(`level: error`, `value expected after "level:" at column 7`, 7)
	f(`status:>`, `value expected after "status:>" at column 9`, 9)
	f(`status:abc`, `http_status expects a number, got "abc" at column 8`, 8)
	f(`status:>=5xx`, `http_status expects a number, got "5xx" at column 10`, 10)
	f(`duration:>fast`, `duration_ms expects a duration (250, 250ms, 1.5s), got "fast" at column 11`, 11)
	f(`cart.items:>many`, `cart.items expects a number, got "many" at column 13`, 13)
	f(`status:>NaN`, `http_status expects a number, got "NaN" at column 9`, 9)
	f(`trace_id:xyz*`, `trace_id accepts an id or a hex prefix followed by "*", got "xyz*" at column 10`, 10)
	f(`trace_id:*abc`, `trace_id accepts an id or a hex prefix followed by "*", got "*abc" at column 10`, 10)
	f(`span_id:0123456789abcdef0*`, `span_id accepts an id or a hex prefix followed by "*", got "0123456789abcdef0*" at column 9`, 9)
	f(`ts:>5`, `field ts cannot be searched (the time range and project scope the search) at column 4`, 4)
	f(`project_id:2`, `field project_id cannot be searched (the time range and project scope the search) at column 12`, 12)
	f(`status:[500 599]`, `"TO" expected in range at column 13`, 13)
	f(`status:[500 TO 599`, `missing closing "]" for range starting at column 8`, 8)
	f(`level:[a TO b]`, `cannot compare level with ">=" at column 7`, 7)
	f(`serv*ce:x`, `wildcard in field name "serv*ce" at column 1`, 1)
	f(`héllo )`, `unexpected ")" at column 7`, 7)
	f("ok \xff", `invalid UTF-8 at column 4`, 4)
	f("user:bob\x00admin", `NUL character in the query at column 9`, 9)
	f(strings.Repeat("a OR ", MaxTerms)+"b", fmt.Sprintf("query too large: %d terms (max %d)", MaxTerms+1, MaxTerms), 0)
	f("x:"+strings.Repeat("a*", MaxWildcards+1), fmt.Sprintf("too many wildcards: %d '*' in %q (max %d in one value)",
		MaxWildcards+1, strings.Repeat("a*", MaxWildcards+1), MaxWildcards), 0)
	f(strings.Repeat("a", MaxQueryBytes+1), fmt.Sprintf("query too long: %d bytes (max %d)", MaxQueryBytes+1, MaxQueryBytes), 0)
	// needles: what is searched for inside values, at most MaxNeedleBytes
	long := strings.Repeat("a", MaxNeedleBytes) + "é"
	tooLongAs := func(start string, n int) string {
		return fmt.Sprintf("search term %q… is %d bytes, more than %d (a word, phrase or wildcard value is searched for inside every value; search for a shorter part of it)",
			start, n, MaxNeedleBytes)
	}
	tooLong := func(n int) string { return tooLongAs(strings.Repeat("a", 32), n) }
	f("ok "+long, tooLong(MaxNeedleBytes+2)+" at column 4", 4)
	f(`ok "`+long+`"`, tooLong(MaxNeedleBytes+2)+" at column 4", 4)
	f("ok msg:"+long, tooLong(MaxNeedleBytes+2)+" at column 8", 8)
	f("svc:*"+long[:MaxNeedleBytes-1]+"*", tooLongAs("*"+strings.Repeat("a", 31), MaxNeedleBytes+1)+" at column 5", 5)
	f("user.plan:"+long[:MaxNeedleBytes-1]+"*b*", tooLong(MaxNeedleBytes+2)+" at column 11", 11)
	f("level:(error OR "+long+"*)", tooLong(MaxNeedleBytes+3)+" at column 17", 17)
	// Ⱥ (2 bytes) lower-cases to ⱥ (3 bytes), ɐ upper-cases to Ɐ: the needles searched for are longer
	f("kind:"+strings.Repeat("Ⱥ", MaxNeedleBytes/2-1)+"*", tooLongAs(strings.Repeat("ⱥ", 10), 3*(MaxNeedleBytes/2-1)+1)+" at column 6", 6)
	f("method:*"+strings.Repeat("ɐ", MaxNeedleBytes/2-1), tooLongAs("*"+strings.Repeat("Ɐ", 10), 3*(MaxNeedleBytes/2-1)+1)+" at column 8", 8)
	f("x:"+strings.Repeat("é*", MaxWildcards+1), fmt.Sprintf("too many wildcards: %d '*' in %q (max %d in one value)",
		MaxWildcards+1, strings.Repeat("é*", MaxWildcards+1), MaxWildcards), 0)
}

// TestNeedleLimit: the longest needle of each kind parses, and an exact
// field:value is no needle (an equality), so it may be longer.
func TestNeedleLimit(t *testing.T) {
	max := strings.Repeat("a", MaxNeedleBytes)
	for _, s := range []string{max, `"` + max + `"`, "msg:" + max, "svc:*" + max[2:] + "*", "svc:" + max[1:] + "*",
		"user:" + strings.Repeat("a", 4*MaxNeedleBytes), `user:"` + strings.Repeat("a ", MaxNeedleBytes) + `"`} {
		if _, err := Parse(s); err != nil {
			t.Errorf("Parse(%.40q…): %v", s, err)
		}
	}
}

func TestParseDepthLimit(t *testing.T) {
	deep := ""
	for range 5000 {
		deep += "("
	}
	if _, err := Parse(deep + "a"); err == nil {
		t.Fatal("Parse of 5000 nested groups succeeded, want an error")
	}
	neg := ""
	for range 5000 {
		neg += "-"
	}
	if _, err := Parse(neg + "a"); err == nil {
		t.Fatal("Parse of 5000 negations succeeded, want an error")
	}
}
