package privacy

import (
	"net/netip"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// sensitiveWords are the words of a field name (split at '_', '-', '.'
// and camelCase) that make its value a secret. Whole words, so that
// input_tokens or author are kept.
var sensitiveWords = map[string]bool{
	"password": true, "passwd": true, "pwd": true, "passphrase": true,
	"secret": true, "token": true, "authorization": true, "auth": true,
	"cookie": true, "cookies": true, "credential": true, "credentials": true,
	"apikey": true, "privatekey": true, "jwt": true, "bearer": true,
}

// sensitivePairs are two-word names that are secrets together (api_key,
// private_key, set-cookie is caught by "cookie").
var sensitivePairs = map[[2]string]bool{
	{"api", "key"}: true, {"private", "key"}: true, {"access", "key"}: true,
	{"secret", "key"}: true, {"session", "key"}: true, {"signing", "key"}: true,
	{"encryption", "key"}: true, {"x", "key"}: true,
}

// normalizeKey lower-cases a field name for the deny and allow lists.
func normalizeKey(k string) string { return strings.ToLower(strings.TrimSpace(k)) }

// lastSegment is the part of a dotted key after its last dot.
func lastSegment(k string) string {
	if i := strings.LastIndexByte(k, '.'); i >= 0 {
		return k[i+1:]
	}
	return k
}

// words splits a name at '_', '-', ' ' and lower-to-upper case changes,
// lower-cased: "X-Api-Key" → x api key, "accessToken" → access token.
func words(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToLower(string(cur)))
			cur = cur[:0]
		}
	}
	var prev rune
	for _, r := range name {
		switch {
		case r == '_' || r == '-' || r == ' ' || r == ':':
			flush()
		case unicode.IsUpper(r) && unicode.IsLower(prev):
			flush()
			cur = append(cur, r)
		default:
			cur = append(cur, r)
		}
		prev = r
	}
	flush()
	return out
}

// sensitiveName reports whether a field name (its last dotted segment)
// names a secret.
func sensitiveName(key string) bool {
	ws := words(lastSegment(key))
	for i, w := range ws {
		if sensitiveWords[w] {
			return true
		}
		if i > 0 && sensitivePairs[[2]string{ws[i-1], w}] {
			return true
		}
	}
	return false
}

// ipName reports whether a field name says its value is an IP address.
func ipName(key string) bool {
	k := strings.ToLower(key)
	switch k {
	case "client.address", "source.address", "network.peer.address", "net.peer.ip", "net.sock.peer.addr",
		"http.client_ip", "user.ip_address", "ip_address", "remote_addr", "x-forwarded-for", "x-real-ip":
		return true
	}
	for _, w := range words(lastSegment(k)) {
		if w == "ip" || w == "ipaddress" || w == "ips" {
			return true
		}
	}
	return false
}

// Text rules, each with a cheap test that skips the regular expression on
// text that cannot match.
var (
	rePEM = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`)
	// reAuth is an authorization scheme and its credentials.
	reAuth = regexp.MustCompile(`(?i)\b(bearer|basic|token|digest|apikey)(\s+)([A-Za-z0-9._~+/=:-]{8,})`)
	// reKV is key=value, key: value, "key": "value", ?key=value, with a
	// key that ends in a sensitive word.
	reKV = regexp.MustCompile(`(?i)([A-Za-z0-9_.-]*?(?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|private[_-]?key|access[_-]?key|secret[_-]?key|authorization|credentials?))(\\?["']?[ \t]*[:=][ \t]*\\?["']?)((?:(?:bearer|basic|token|digest)[ \t]+)?[^\s"'&,;)\]}<>\\]+)`)
	// reCookie is a cookie header: its whole value, to the end of line.
	reCookie = regexp.MustCompile(`(?i)\b((?:set-)?cookie)([ \t]*["']?[ \t]*:[ \t]*)([^\r\n"]+)`)
	// reURLPassword is the password of a URL's user information.
	reURLPassword = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://[^:/\s@]*:)([^@\s/]+)(@)`)
	// reKeys are secrets recognisable by their shape.
	reKeys  = regexp.MustCompile(`\b(?:(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA)[A-Z0-9]{16}|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|xox[abposr]-[A-Za-z0-9-]{10,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{35}|eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}|lore_(?:in|rd|ad)_[0-9a-f]{16,}|glpat-[A-Za-z0-9_-]{20})`)
	reCard  = regexp.MustCompile(`\b[2-6](?:[ -]?\d){12,18}\b`)
	reEmail = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}`)
	reIPv4  = regexp.MustCompile(`\b(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}\b`)
)

var kvHints = []string{"pass", "pwd", "secret", "token", "key", "authorization", "credential"}

// containsFold reports whether s contains any of the lower-case subs,
// ignoring case (ASCII).
func containsFold(s string, subs ...string) bool {
	upper, ascii := false, true
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !upper {
		for _, sub := range subs {
			if strings.Contains(s, sub) {
				return true
			}
		}
		return false
	}
	if !ascii {
		// strings.ToLower folds some non-ASCII runes to ASCII letters
		// (the Kelvin sign to k).
		lower := strings.ToLower(s)
		for _, sub := range subs {
			if strings.Contains(lower, sub) {
				return true
			}
		}
		return false
	}
	for _, sub := range subs {
		if indexFoldASCII(s, sub) >= 0 {
			return true
		}
	}
	return false
}

// indexFoldASCII is the index of the lower-case ASCII sub in the ASCII s,
// ignoring case, or -1.
func indexFoldASCII(s, sub string) int {
	if len(sub) == 0 {
		return 0
	}
	first := sub[0]
	for i := 0; i+len(sub) <= len(s); i++ {
		if lowerASCII(s[i]) != first {
			continue
		}
		if hasPrefixFoldASCII(s[i:], sub) {
			return i
		}
	}
	return -1
}

// hasPrefixFoldASCII reports whether s starts with the lower-case ASCII
// prefix, ignoring ASCII case.
func hasPrefixFoldASCII(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for j := 0; j < len(prefix); j++ {
		if lowerASCII(s[j]) != prefix[j] {
			return false
		}
	}
	return true
}

func lowerASCII(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// kvEnds are the words reKV's key can end with (credential takes an
// optional s).
var kvEnds = []string{"password", "passwd", "pwd", "passphrase", "secret", "token", "authorization", "credential",
	"apikey", "api_key", "api-key", "privatekey", "private_key", "private-key",
	"accesskey", "access_key", "access-key", "secretkey", "secret_key", "secret-key"}

// mayMatchKV reports whether reKV can match s: somewhere a word reKV's key
// ends with is followed by its separator (an optional backslash, an
// optional quote, blanks, then ':' or '='). It is a cheap superset of
// reKV's matches, so that the regular expression (whose lazy key prefix
// backtracks at every position) runs only on text that may hold one. Text
// with non-ASCII bytes always may: (?i) folds some runes to ASCII letters.
func mayMatchKV(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	for i := 0; i < len(s); i++ {
		switch lowerASCII(s[i]) {
		case 'p', 's', 't', 'a', 'c':
		default:
			continue
		}
		for _, w := range kvEnds {
			if !hasPrefixFoldASCII(s[i:], w) {
				continue
			}
			j := i + len(w)
			if w == "credential" && j < len(s) && lowerASCII(s[j]) == 's' && kvSeparator(s[j+1:]) {
				return true
			}
			if kvSeparator(s[j:]) {
				return true
			}
		}
	}
	return false
}

// kvSeparator reports whether s starts with reKV's separator:
// \?["']?[ \t]*[:=].
func kvSeparator(s string) bool {
	j := 0
	if j < len(s) && s[j] == '\\' {
		j++
	}
	if j < len(s) && (s[j] == '"' || s[j] == '\'') {
		j++
	}
	for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
		j++
	}
	return j < len(s) && (s[j] == ':' || s[j] == '=')
}

// mayBeCard reports whether s holds a run of 13 or more digits with at
// most one space or dash between two of them: a cheap superset of reCard's
// matches (a digit 2-6, then 12 to 18 digits each after an optional space
// or dash), which are rare in logs full of numbers.
func mayBeCard(s string) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if run++; run >= 13 {
				return true
			}
		case (c == ' ' || c == '-') && run > 0 && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			// one separator between two digits continues the run
		default:
			run = 0
		}
	}
	return false
}

// looksSecret tells a credential after "Bearer" from an English word
// ("Basic authentication failed"): it has a digit or a symbol of
// base64, or is long.
func looksSecret(s string) bool {
	if len(s) >= 20 {
		return true
	}
	if strings.ContainsAny(s, "0123456789=+/._~") {
		return true
	}
	for i := 1; i < len(s); i++ { // an upper-case letter inside a word: base64
		if s[i] >= 'A' && s[i] <= 'Z' && s[i-1] >= 'a' && s[i-1] <= 'z' {
			return true
		}
	}
	return false
}

// scrubbed says whether s is already a redaction (so scrubbing twice
// changes nothing).
func scrubbed(s string) bool { return strings.HasPrefix(s, Redacted) }

// scrubText applies the text rules to s and returns the result and
// whether anything changed.
func (c *compiled) scrubText(s string) (string, bool) {
	if s == "" {
		return s, false
	}
	orig := s
	if strings.Contains(s, "PRIVATE KEY-----") {
		s = rePEM.ReplaceAllLiteralString(s, Redacted)
	}
	if strings.Contains(s, "://") {
		s = reURLPassword.ReplaceAllString(s, "${1}"+Redacted+"${3}")
	}
	if containsFold(s, "cookie") {
		s = replaceGroup(reCookie, s, 3, nil)
	}
	if containsFold(s, "bearer", "basic", "token", "digest", "apikey") {
		s = replaceGroup(reAuth, s, 3, looksSecret)
	}
	if containsFold(s, kvHints...) && mayMatchKV(s) {
		s = replaceGroup(reKV, s, 3, func(v string) bool {
			// "Authorization: Bearer [scrubbed]" is done.
			if f := strings.Fields(v); len(f) == 2 && strings.HasPrefix(f[1], "[scrubbed") {
				return false
			}
			return true
		})
	}
	if hasKeyHint(s) {
		s = reKeys.ReplaceAllLiteralString(s, Redacted)
	}
	if c.cards && mayBeCard(s) {
		s = scrubCards(s)
	}
	if c.emails && strings.IndexByte(s, '@') >= 0 {
		s = reEmail.ReplaceAllLiteralString(s, Redacted)
	}
	if c.ip != IPKeep && strings.Count(s, ".") >= 3 {
		s = reIPv4.ReplaceAllStringFunc(s, c.ipValue)
	}
	for _, re := range c.patterns {
		s = re.ReplaceAllLiteralString(s, Redacted)
	}
	return s, s != orig
}

// replaceGroup replaces group g of each match of re in s with Redacted,
// when ok (if given) accepts the group's text and it is not already a
// redaction.
func replaceGroup(re *regexp.Regexp, s string, g int, ok func(string) bool) string {
	idx := re.FindAllStringSubmatchIndex(s, -1)
	if idx == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, m := range idx {
		start, end := m[2*g], m[2*g+1]
		if start < 0 {
			continue
		}
		v := s[start:end]
		if strings.HasPrefix(s[start:], Redacted) || (ok != nil && !ok(v)) {
			continue
		}
		b.WriteString(s[last:start])
		b.WriteString(Redacted)
		last = end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// hasKeyHint reports whether s holds the start of one of reKeys' shapes:
// AKIA, ASIA, AGPA, AIDA, AROA, AIPA, ANPA, ANVA, AIza, gh, glpat-, xox,
// k_live_, k_test_, eyJ or lore_ (one pass over s).
func hasKeyHint(s string) bool {
	for i := 0; i < len(s); i++ {
		t := s[i:]
		switch s[i] {
		case 'A':
			if len(t) >= 4 {
				switch t[:4] {
				case "AKIA", "ASIA", "AGPA", "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "AIza":
					return true
				}
			}
		case 'g':
			if strings.HasPrefix(t, "gh") || strings.HasPrefix(t, "glpat-") {
				return true
			}
		case 'x':
			if strings.HasPrefix(t, "xox") {
				return true
			}
		case 'k':
			if strings.HasPrefix(t, "k_live_") || strings.HasPrefix(t, "k_test_") {
				return true
			}
		case 'e':
			if strings.HasPrefix(t, "eyJ") {
				return true
			}
		case 'l':
			if strings.HasPrefix(t, "lore_") {
				return true
			}
		}
	}
	return false
}

// scrubCards redacts the numbers in s that look like payment cards: 13 to
// 19 digits passing the Luhn check, standing alone. A digit run glued to an
// identifier by '-', '_', '.', '/' or '+' (HDFS's blk_-1608999687919862906,
// a version, a path) is part of that identifier, not a card.
func scrubCards(s string) string {
	locs := reCard.FindAllStringIndex(s, -1)
	if locs == nil {
		return s
	}
	var b strings.Builder
	last := 0
	for _, l := range locs {
		if l[0] > 0 && strings.IndexByte("-_./+", s[l[0]-1]) >= 0 {
			continue
		}
		if l[1] < len(s) && strings.IndexByte("_/+", s[l[1]]) >= 0 {
			continue
		}
		if !luhn(s[l[0]:l[1]]) {
			continue
		}
		b.WriteString(s[last:l[0]])
		b.WriteString(Redacted)
		last = l[1]
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// luhn reports whether the digits of s (spaces and dashes ignored) are 13
// to 19 long and pass the Luhn check, as payment card numbers do.
func luhn(s string) bool {
	var ds []int
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			ds = append(ds, int(c-'0'))
		case c == ' ' || c == '-':
		default:
			return false
		}
	}
	if len(ds) < 13 || len(ds) > 19 {
		return false
	}
	sum := 0
	for i := range ds {
		d := ds[len(ds)-1-i]
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// ipValue applies the IP rule to one address; text that is not an
// address is returned as it is.
func (c *compiled) ipValue(s string) string {
	a, err := netip.ParseAddr(strings.TrimSpace(s))
	if err != nil {
		return s
	}
	if c.ip == IPDrop {
		return Redacted
	}
	bits := 24
	if a.Is6() && !a.Is4In6() {
		bits = 48
	}
	p, err := a.Prefix(bits)
	if err != nil {
		return s
	}
	return p.Addr().String()
}
