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

// Tokenize splits a message on white space and masks the tokens that look
// variable: see maskToken. Quoted values ('…' or "…", even across spaces)
// become one wildcard. The result is what the miner compares.
func Tokenize(msg string) []string {
	toks := make([]string, 0, 16)
	for i := 0; i < len(msg); {
		r, size := utf8.DecodeRuneInString(msg[i:])
		if unicode.IsSpace(r) {
			i += size
			continue
		}
		if len(toks) == maxTokens-1 {
			toks = append(toks, Wildcard)
			break
		}
		// A quoted value: from a quote at the start of a token to the
		// same quote at the end of a later token.
		if (r == '"' || r == '\'') && i+1 < len(msg) {
			if end := closingQuote(msg, i+1, msg[i]); end > 0 {
				toks = append(toks, Wildcard)
				i = end
				continue
			}
		}
		j := i
		for j < len(msg) {
			r, size := utf8.DecodeRuneInString(msg[j:])
			if unicode.IsSpace(r) {
				break
			}
			j += size
		}
		toks = append(toks, maskToken(msg[i:j]))
		i = j
	}
	return toks
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

// maskToken returns Wildcard for a token that looks like a variable, the
// token with its value masked for key=value and key:value tokens with a
// variable value, and the token itself otherwise.
//
// Variable tokens are numbers (with signs, decimals and units: 42, -3,
// 9.2, 250ms), ids and hex values with digits (blk_-69522, 0x00e462c0,
// 3f2a9c1e, UUIDs), IP addresses with ports, dates and times, paths
// (/var/log/x, C:\x, hdfs://host/p) and quoted values. The rule for digits
// is deliberately broad, as in Drain's own preprocessing (the paper's tree
// routes every token containing a digit to the wildcard child): a token
// containing digits is variable unless its only digits are a single digit
// inside a word (jk2_init, e2e, utf8), which names a thing rather than
// measuring it.
func maskToken(t string) string {
	if t == Wildcard {
		return t
	}
	core := strings.Trim(t, "()[]{}<>,;.!?")
	if core == "" {
		return t
	}
	if (core[0] == '"' || core[0] == '\'') && len(core) >= 2 && core[len(core)-1] == core[0] {
		return Wildcard
	}
	if isPath(core) {
		return Wildcard
	}
	// key=value: mask the value only, so "user=root" and "user=guest"
	// stay apart but "uid=0" and "uid=1000" meet.
	if k := strings.IndexByte(t, '='); k > 0 && k < len(t)-1 {
		v := t[k+1:]
		if isVariable(strings.Trim(v, "()[]{}<>,;.!?\"'")) || isPath(v) {
			return t[:k+1] + Wildcard
		}
		return t
	}
	if isVariable(core) {
		return Wildcard
	}
	return t
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
func isLetter(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c >= 0x80
}
