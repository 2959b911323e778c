package native

import "strings"

// logfmtPair is one key=value of a logfmt line.
type logfmtPair struct{ key, value string }

// parseLogfmt splits a logfmt line (`time=… level=info msg="a b" k=v`)
// into pairs. ok is false unless the line is mostly key=value pairs: the
// first token is one, and bare words are at most half as many as pairs.
func parseLogfmt(s string, pairs []logfmtPair) ([]logfmtPair, bool) {
	pairs = pairs[:0]
	bare := 0
	first := true
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			break
		}
		// key
		i := 0
		for i < len(s) && s[i] != '=' && s[i] != ' ' && s[i] != '\t' && s[i] != '"' {
			i++
		}
		if i == 0 || i == len(s) || s[i] != '=' {
			if first {
				return pairs, false
			}
			// a bare word (or a stray quote): skip it
			j := strings.IndexAny(s[max(i, 1):], " \t")
			if j < 0 {
				s = ""
			} else {
				s = s[max(i, 1)+j:]
			}
			bare++
			continue
		}
		key := s[:i]
		s = s[i+1:]
		var val string
		if s != "" && s[0] == '"' {
			v, rest, ok := unquoteLogfmt(s)
			if !ok {
				return pairs, false
			}
			val, s = v, rest
		} else {
			j := strings.IndexAny(s, " \t")
			if j < 0 {
				val, s = s, ""
			} else {
				val, s = s[:j], s[j:]
			}
		}
		pairs = append(pairs, logfmtPair{key, val})
		first = false
	}
	return pairs, len(pairs) > 0 && bare*2 <= len(pairs)
}

// unquoteLogfmt reads a double-quoted value with backslash escapes from
// the start of s and returns it and the rest of s.
func unquoteLogfmt(s string) (val, rest string, ok bool) {
	end := 1
	escaped := false
	for ; end < len(s); end++ {
		c := s[end]
		if c == '\\' {
			escaped = true
			end++
			continue
		}
		if c == '"' {
			break
		}
	}
	if end >= len(s) {
		return "", "", false
	}
	val, rest = s[1:end], s[end+1:]
	if !escaped {
		return val, rest, true
	}
	var b strings.Builder
	for i := 0; i < len(val); i++ {
		c := val[i]
		if c != '\\' || i+1 == len(val) {
			b.WriteByte(c)
			continue
		}
		i++
		switch val[i] {
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		default:
			b.WriteByte(val[i])
		}
	}
	return b.String(), rest, true
}
