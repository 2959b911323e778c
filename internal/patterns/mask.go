package patterns

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Wildcard stands for a variable part of a template.
const Wildcard = "<*>"

// maxTokens bounds the tokens mined per message: a longer message keeps its
// first maxTokens-1 tokens and a final wildcard. Log lines longer than this
// are rare and their tails are almost always payload (stack traces, dumps).
const maxTokens = 120

// maxTokenLen bounds a token: a longer one is payload (a dump, an encoded
// blob) and is a wildcard, so one group stays a few kilobytes at most.
const maxTokenLen = 256

// Tokenize splits a message on white space and masks the parts that look
// variable (see maskToken); the result is what the miner compares. Two
// rules work across tokens:
//
//   - A quoted value ('…' or "…", even across spaces) is one wildcard.
//   - A size or duration written with its unit as a separate word is one
//     wildcard: "5.2 KB", "1190 bytes (1.16 KB)", "<1 sec", "30 seconds"
//     (a unit glued to its number, "250ms", is masked with the number).
//     Without this a line whose value is written "00:02" one time and
//     "<1 sec" the next has a different token count and lands in another
//     group (Proxifier in Loghub is mostly such lines).
//   - Adjacent wildcards collapse into one, so a variable-length list of
//     values ("delete blk_1 blk_2 blk_3") is one variable, as the
//     corrected Loghub ground truth treats it (Khan et al., "Guidelines
//     for Assessing the Accuracy of Log Message Template Identification
//     Techniques", ICSE 2022; kept in Loghub-2.0).
func Tokenize(msg string) []string {
	toks := make([]string, 0, 16)
	prevNumber := false // the last token emitted was a masked number
	for i := 0; i < len(msg); {
		c := msg[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			if r, size := utf8.DecodeRuneInString(msg[i:]); unicode.IsSpace(r) {
				i += size
				continue
			}
		}
		if len(toks) == maxTokens-1 {
			toks = appendWildcard(toks)
			break
		}
		// A quoted value: from a quote at the start of a token to the
		// same quote at the end of a later token.
		if (c == '"' || c == '\'') && i+1 < len(msg) {
			if end := closingQuote(msg, i+1, c); end > 0 {
				toks = appendWildcard(toks)
				prevNumber = false
				i = end
				continue
			}
		}
		j := tokenEnd(msg, i)
		raw := msg[i:j]
		i = j
		if len(raw) > maxTokenLen {
			toks = appendWildcard(toks)
			prevNumber = false
			continue
		}
		tok, kind := maskToken(raw)
		if kind == kindDate && !datePart(toks, msg, j) {
			kind = kindWord
		}
		switch {
		case kind == kindDate:
			toks = appendWildcard(toks)
		case kind == kindUnit && prevNumber:
			// The unit of the number just masked: part of that value.
			continue
		case tok == Wildcard:
			if b := bracketed(raw); b != "" {
				toks = append(toks, b)
			} else {
				toks = appendWildcard(toks)
			}
		case tok == "()":
			toks = append(toks, parenWildcard)
		case tok == "[]":
			toks = append(toks, bracketWildcard)
		default:
			toks = append(toks, tok)
		}
		prevNumber = kind == kindNumber
	}
	return toks
}

// bracketed returns the masked form of a value wrapped in brackets,
// "(<*>)" or "[<*>]", and "" when raw is not wrapped. An empty pair, "()",
// is the same field with an empty value. The brackets are kept so that a
// bracketed value stays a token of its own beside a neighbouring variable
// ("from 10.0.0.1 (host.example.com)" and "from 10.0.0.2 ()" keep one
// shape).
func bracketed(raw string) string {
	raw = strings.TrimRight(raw, ",;:.")
	if len(raw) < 2 {
		return ""
	}
	switch {
	case raw[0] == '(' && raw[len(raw)-1] == ')' && strings.IndexByte(raw[1:len(raw)-1], ')') < 0:
		return parenWildcard
	case raw[0] == '[' && raw[len(raw)-1] == ']' && strings.IndexByte(raw[1:len(raw)-1], ']') < 0:
		return bracketWildcard
	}
	return ""
}

const (
	parenWildcard   = "(" + Wildcard + ")"
	bracketWildcard = "[" + Wildcard + "]"
)

// appendWildcard appends a wildcard unless the last token is one.
func appendWildcard(toks []string) []string {
	if n := len(toks); n > 0 && toks[n-1] == Wildcard {
		return toks
	}
	return append(toks, Wildcard)
}

// tokenEnd returns the index of the white space ending the token at i.
func tokenEnd(msg string, i int) int {
	for j := i; j < len(msg); j++ {
		c := msg[j]
		if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f' {
			return j
		}
		if c >= utf8.RuneSelf {
			if r, _ := utf8.DecodeRuneInString(msg[j:]); unicode.IsSpace(r) {
				return j
			}
		}
	}
	return len(msg)
}

// closingQuote finds the quote q that closes a value opened just before
// from: it must end a token (be followed by white space, punctuation or the
// end). It returns the index after the closing token, or 0.
func closingQuote(msg string, from int, q byte) int {
	for k := from; k < len(msg); k++ {
		if msg[k] != q {
			continue
		}
		end := k + 1
		for end < len(msg) && strings.IndexByte(",;:.)]}", msg[end]) >= 0 {
			end++
		}
		if end == len(msg) || msg[end] == ' ' || msg[end] == '\t' || msg[end] == '\n' {
			return end
		}
	}
	return 0
}

// Token kinds, for the rules that work across tokens.
const (
	kindWord   = iota // kept, perhaps with masked fields inside
	kindVar           // masked whole
	kindNumber        // masked whole, a plain number (may take a unit)
	kindUnit          // a unit of size or time, kept unless after a number
	kindDate          // a month or weekday name, masked when part of a date
)

// dateNames are the month and weekday names of dates written out ("Fri Jun
// 17 07:07:00 2005", "17 Jun 2005"), as syslog, ctime and HTTP write them.
var dateNames = map[string]bool{
	"Jan": true, "Feb": true, "Mar": true, "Apr": true, "May": true, "Jun": true, "Jul": true,
	"Aug": true, "Sep": true, "Sept": true, "Oct": true, "Nov": true, "Dec": true,
	"January": true, "February": true, "March": true, "April": true, "June": true, "July": true,
	"August": true, "September": true, "October": true, "November": true, "December": true,
	"Mon": true, "Tue": true, "Wed": true, "Thu": true, "Fri": true, "Sat": true, "Sun": true,
	"Monday": true, "Tuesday": true, "Wednesday": true, "Thursday": true, "Friday": true,
	"Saturday": true, "Sunday": true,
}

// datePart reports whether a month or weekday name just read (ending at
// end) is part of a date: the token before it was masked or the next one
// starts with a digit or is another date name. Alone ("May I", "Sun
// Microsystems") it is a word.
func datePart(toks []string, msg string, end int) bool {
	if n := len(toks); n > 0 && toks[n-1] == Wildcard {
		return true
	}
	for end < len(msg) && (msg[end] == ' ' || msg[end] == '\t') {
		end++
	}
	if end < len(msg) && isDigit(msg[end]) {
		return true
	}
	next := msg[end:tokenEnd(msg, end)]
	return dateNames[strings.TrimRight(next, ",.")]
}

// edgePunct is trimmed from a token's ends before it is classified.
const edgePunct = "()[]{}<>,;:.!?\"'"

// fieldDelims separate the fields inside one token: key=value and
// key:value pairs, name[pid], call(arg), runs joined by , ; | &.
const fieldDelims = "=:[](){}<>|,;&"

var isFieldDelim, isEdgePunct [256]bool

func init() {
	for i := 0; i < len(fieldDelims); i++ {
		isFieldDelim[fieldDelims[i]] = true
	}
	for i := 0; i < len(edgePunct); i++ {
		isEdgePunct[edgePunct[i]] = true
	}
}

// trimEdges trims edgePunct from both ends of t.
func trimEdges(t string) string {
	i, j := 0, len(t)
	for i < j && isEdgePunct[t[i]] {
		i++
	}
	for j > i && isEdgePunct[t[j-1]] {
		j--
	}
	return t[i:j]
}

// maskToken returns Wildcard for a token that looks like a variable as a
// whole, the token with its variable fields masked when it is made of
// fields, and the token itself otherwise.
//
// Variable as a whole: numbers (42, -3, 9.2, 1,024, 42%), ids and hex
// values with digits (blk_-69522, 0x00e462c0, 3f2a9c1e, UUIDs), IP
// addresses and host names with or without a port (10.1.2.3:5432,
// proxy.example.com:5070), dates and times, paths and URLs (/var/log/x,
// C:\x, hdfs://host/p) and quoted values. The rule for digits is
// deliberately broad, as in Drain's own preprocessing (the paper's tree
// routes every token containing a digit to the wildcard child): a token
// containing digits is variable unless its only digit is a single one
// inside or at the end of a word (jk2_init, e2e, utf8, SOCKS5, ssh2,
// eth0), which names a thing rather than measuring it.
//
// Made of fields: a token with a word among its fields keeps its shape
// and masks only the variable fields, so "uid=0" → "uid=<*>",
// "sshd[2915]:" → "sshd[<*>]:", "vCores:1>" → "vCores:<*>>",
// "a=1,b=x" → "a=<*>,b=x". The constant part names the field, so two such
// tokens with different names are different statements (see similarity).
func maskToken(t string) (string, int) {
	if t == Wildcard {
		return t, kindVar
	}
	core := trimEdges(t)
	if core == "" {
		return t, kindWord
	}
	f := scan(core)
	if f&(hasDigit|hasDot|hasDelim|hasOther) == 0 {
		// A plain word (the common case): only units and date names
		// need a look.
		if isUnit(core) {
			return t, kindUnit
		}
		if f&hasUpper != 0 && dateNames[core] {
			return t, kindDate
		}
		return t, kindWord
	}
	if f&hasOther != 0 && (isPath(core) || isEmail(core)) {
		return Wildcard, kindVar
	}
	if f&hasDigit != 0 && isNumber(core) {
		return Wildcard, kindNumber
	}
	if f&hasDigit == 0 && isUnit(core) { // kb/s
		return t, kindUnit
	}
	if isHexGroups(core) {
		return Wildcard, kindVar
	}
	if f&hasDelim != 0 {
		if m, ok := maskFields(t); ok {
			return m, kindWord
		}
	}
	if f&hasDigit != 0 && isVariable(core) || f&hasDot != 0 && isHostname(core) {
		return Wildcard, kindVar
	}
	return t, kindWord
}

// Character classes of a token, from scan.
const (
	hasDigit = 1 << iota
	hasDot
	hasDelim // a field delimiter or a dot leader
	hasOther // '/', '\\' or '@': paths, URLs, addresses
	hasUpper
)

func scan(t string) int {
	f := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c == '_', c == '-':
		case c >= 'A' && c <= 'Z':
			f |= hasUpper
		case c >= '0' && c <= '9':
			f |= hasDigit
		case c == '.':
			f |= hasDot
			if i+1 < len(t) && t[i+1] == '.' {
				f |= hasDelim
			}
		case isFieldDelim[c]:
			f |= hasDelim
		case c == '/' || c == '\\' || c == '@':
			f |= hasOther
		}
	}
	return f
}

// maskFields masks the variable fields of a token made of fields. It
// reports false when no field is a plain word (then the token is judged as
// a whole: "10.1.2.3:80", "12:30:00").
func maskFields(t string) (string, bool) {
	var b strings.Builder
	word, masked := false, false
	start := 0
	flush := func(end int) {
		f := t[start:end]
		if f == "" {
			return
		}
		switch {
		case isVariable(f) || isHostname(f) || isPath(f) || isQuoted(f):
			b.WriteString(Wildcard)
			masked = true
		default:
			if hasLetter(f) {
				word = true
			}
			b.WriteString(f)
		}
	}
	b.Grow(len(t) + 4)
	for i := 0; i < len(t); i++ {
		if t[i] == '.' && i+1 < len(t) && t[i+1] == '.' {
			// A dot leader, "depth.......0": a delimiter like '='.
			flush(i)
			for i < len(t) && t[i] == '.' {
				b.WriteByte('.')
				i++
			}
			start = i
			i--
			continue
		}
		if !isFieldDelim[t[i]] {
			continue
		}
		// A path or URL value runs to the end of the token:
		// "file=/var/log/x", "url=http://h/p".
		if rest := t[i+1:]; t[i] == '=' || t[i] == ':' {
			if len(rest) > 1 && rest[0] == '/' || strings.HasPrefix(rest, "//") {
				flush(i)
				b.WriteByte(t[i])
				if strings.HasPrefix(rest, "//") {
					// "http://x": the scheme was the field before.
					return "", false
				}
				b.WriteString(Wildcard)
				return b.String(), word
			}
		}
		flush(i)
		b.WriteByte(t[i])
		start = i + 1
	}
	flush(len(t))
	if !word {
		return "", false
	}
	if !masked {
		return t, true
	}
	return b.String(), true
}

func hasLetter(s string) bool {
	for i := 0; i < len(s); i++ {
		if isLetter(s[i]) {
			return true
		}
	}
	return false
}

func isQuoted(s string) bool {
	return len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0]
}

// isPath reports whether t is a file system path or a URL.
func isPath(t string) bool {
	if strings.Contains(t, "://") {
		return true
	}
	if len(t) > 1 && t[0] == '/' && strings.IndexByte(t[1:], '/') >= 0 {
		return true
	}
	return len(t) > 2 && t[1] == ':' && t[2] == '\\'
}

// isHexGroups reports whether t is three or more groups of hex digits
// joined by ':' or '-' (MAC and IPv6 addresses, hex dumps), which field
// masking would otherwise read as key:value runs.
func isHexGroups(t string) bool {
	groups, n := 1, 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == ':' || c == '-':
			if n > 4 {
				return false
			}
			groups++
			n = 0
		case isDigit(c) || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F':
			n++
		default:
			return false
		}
	}
	return groups >= 3 && n <= 4
}

// isEmail reports whether t is an address like user@host.example.
func isEmail(t string) bool {
	at := strings.IndexByte(t, '@')
	return at > 0 && isHostname(t[at+1:])
}

// isNumber reports whether t is a plain number: digits with an optional
// sign, decimal point, thousands separators, exponent or percent sign,
// or a bound like <1 or >=5.
func isNumber(t string) bool {
	for len(t) > 0 && (t[0] == '<' || t[0] == '>' || t[0] == '=' || t[0] == '~' || t[0] == '+' || t[0] == '-') {
		t = t[1:]
	}
	t = strings.TrimSuffix(t, "%")
	if t == "" || !isDigit(t[0]) {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !isDigit(c) && c != '.' && c != ',' && c != 'e' && c != 'E' {
			return false
		}
	}
	return true
}

// units are the words that measure a number just before them: sizes and
// durations. Lower case; compared case-insensitively.
var units = map[string]bool{
	"b": true, "byte": true, "bytes": true, "kb": true, "kib": true, "mb": true, "mib": true,
	"gb": true, "gib": true, "tb": true, "tib": true, "bit": true, "bits": true,
	"ns": true, "us": true, "µs": true, "ms": true, "s": true, "sec": true, "secs": true,
	"second": true, "seconds": true, "min": true, "mins": true, "minute": true, "minutes": true,
	"h": true, "hr": true, "hrs": true, "hour": true, "hours": true, "day": true, "days": true,
	"microseconds": true, "milliseconds": true, "nanoseconds": true,
	"kb/s": true, "mb/s": true, "gb/s": true,
}

func isUnit(t string) bool {
	if len(t) > 12 || len(t) == 0 || isDigit(t[0]) {
		return false
	}
	if units[t] {
		return true
	}
	var buf [12]byte
	for i := 0; i < len(t); i++ {
		buf[i] = lower(t[i])
	}
	return units[string(buf[:len(t)])]
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// tlds are the last labels that make a dotted name a host name (file
// names like app.js and setup.py stay words).
var tlds = map[string]bool{
	"com": true, "net": true, "org": true, "edu": true, "gov": true, "mil": true, "int": true,
	"io": true, "info": true, "biz": true, "local": true, "internal": true, "lan": true,
	"localdomain": true, "cloud": true, "dev": true, "app": true,
}

// isHostname reports whether t is a DNS name (labels of letters, digits
// and hyphens joined by dots, ending in a known top-level domain),
// optionally with a port.
func isHostname(t string) bool {
	if strings.IndexByte(t, '.') < 0 {
		return false
	}
	if c := strings.LastIndexByte(t, ':'); c > 0 && isNumber(t[c+1:]) {
		t = t[:c]
	}
	dot := strings.LastIndexByte(t, '.')
	if dot <= 0 || dot == len(t)-1 {
		return false
	}
	labels := 1
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '.':
			if i == 0 || t[i-1] == '.' {
				return false
			}
			labels++
		case c == '-' || isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		default:
			return false
		}
	}
	tld := t[dot+1:]
	if len(tld) > 12 {
		return false
	}
	var buf [12]byte
	for i := 0; i < len(tld); i++ {
		buf[i] = lower(tld[i])
	}
	tld = string(buf[:len(tld)])
	if tlds[tld] {
		return true
	}
	// A country code counts after a second-level domain of the usual
	// kinds (cuhk.edu.hk, example.co.uk), so that dotted property names
	// (mapred.job.id, java.class.path) stay words.
	if labels < 3 || len(tld) != 2 || !isAlpha(tld[0]) || !isAlpha(tld[1]) {
		return false
	}
	sld := t[strings.LastIndexByte(t[:dot], '.')+1 : dot]
	return slds[strings.ToLower(sld)]
}

// slds are the second-level domains under which a country code makes a
// host name.
var slds = map[string]bool{"com": true, "co": true, "net": true, "org": true, "edu": true, "gov": true, "ac": true, "ne": true, "or": true}

// isVariable applies the digit rule of maskToken to a trimmed token.
func isVariable(t string) bool {
	digits, runs := 0, 0
	boundary := false // a digit run touching the token's edge or punctuation
	for i := 0; i < len(t); {
		if !isDigit(t[i]) {
			i++
			continue
		}
		j := i
		for j < len(t) && isDigit(t[j]) {
			j++
		}
		digits += j - i
		runs++
		before := i == 0 || !isLetter(t[i-1])
		after := j == len(t) || !isLetter(t[j])
		// One digit closing a word of two letters or more names a
		// thing (SOCKS5, ssh2, eth0) rather than counting it.
		if j == len(t) && j-i == 1 && i >= 2 && isAlpha(t[i-1]) && isAlpha(t[i-2]) {
			after = false
		}
		if before || after {
			boundary = true
		}
		i = j
	}
	if digits == 0 {
		return false
	}
	return boundary || digits > 1 || runs > 1
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}
