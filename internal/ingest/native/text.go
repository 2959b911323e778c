package native

import (
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/event"
)

// maxTS is 9999-12-31T23:59:59.999999Z in microseconds.
const maxTS = 253402300799999999

// textLine is what the layout of a plain text line tells.
type textLine struct {
	ts      int64
	level   string
	rest    string // the line after the recognised prefix
	host    string
	service string
	pid     string
	alert   string // Blue Gene/L alert tag
	// access log
	method, path, client string
	status               int
}

// decodeText decodes a logfmt or plain text line.
func (d *decoder) decodeText(line int, s string) {
	e := d.begin()
	var err error
	var ok bool
	if d.pairs, ok = parseLogfmt(s, d.pairs); ok {
		err = d.applyLogfmt(d.pairs)
		d.end(line, e, err)
		return
	}
	t := d.parseText(s)
	if t.ts > 0 && t.ts <= maxTS {
		e.TS = t.ts // else Now, in end: "[01/May/0000:…]" is no time to store
	}
	e.Host = t.host
	e.Service = t.service
	if t.pid != "" {
		e.Attributes = append(e.Attributes, event.Attr{Key: "pid", Value: t.pid})
	}
	if t.alert != "" {
		e.Attributes = append(e.Attributes, event.Attr{Key: "alert", Value: t.alert})
	}
	if t.method != "" {
		e.HTTPMethod, e.Endpoint, e.HTTPStatus = t.method, t.path, int32(t.status)
		e.Attributes = append(e.Attributes, event.Attr{Key: "client.address", Value: t.client})
	}
	rest := t.rest
	if t.level == "" {
		t.level, rest = findLevel(rest)
	}
	e.Level = t.level
	// "2024-05-01T09:15:40Z INFO msg=… k=v": the rest may be logfmt.
	if d.pairs, ok = parseLogfmt(rest, d.pairs); ok && rest != s {
		err = d.applyLogfmt(d.pairs)
		if e.Message == "" {
			e.Message = rest
		}
	} else {
		e.Message = rest
	}
	d.end(line, e, err)
}

func (d *decoder) applyLogfmt(pairs []logfmtPair) error {
	for _, p := range pairs {
		if err := d.mapper.Set(p.key, p.value); err != nil {
			return err
		}
	}
	return nil
}

// parseText reads the timestamp prefix of a plain text line and what its
// layout says besides (syslog host and program, access-log request).
func (d *decoder) parseText(s string) textLine {
	t := textLine{rest: s}
	if s == "" {
		return t
	}
	c := s[0]
	switch {
	case c >= '0' && c <= '9':
		d.digitPrefix(s, &t)
	case c == '[':
		bracketPrefix(s, &t)
	case c >= 'A' && c <= 'Z':
		if !d.syslogPrefix(s, &t) {
			d.glogPrefix(s, &t)
		}
	}
	if t.ts == 0 {
		if !bglPrefix(s, &t) {
			accessLog(s, &t)
		}
	}
	return t
}

// digitPrefix reads ISO dates ("2024-05-01T09:15:40.123Z", "2015-07-29
// 17:41:44,747", Go's "2024/05/01 09:15:40"), Spark's "17/06/09 20:10:40"
// and HDFS's "081109 203615".
func (d *decoder) digitPrefix(s string, t *textLine) {
	switch {
	case len(s) >= 16 && (s[4] == '-' || s[4] == '/') && s[7] == s[4] && (s[10] == 'T' || s[10] == ' ') && s[13] == ':':
		end := 11
		for end < len(s) && (isDigit(s[end]) || s[end] == ':' || s[end] == '.' || s[end] == ',') {
			end++
		}
		if end < len(s) && (s[end] == 'Z' || s[end] == 'z') {
			end++
		} else if end+2 < len(s) && (s[end] == '+' || s[end] == '-') && isDigit(s[end+1]) {
			end++
			for end < len(s) && (isDigit(s[end]) || s[end] == ':') {
				end++
			}
		}
		if us, err := event.ParseTime(strings.TrimRight(s[:end], ",.")); err == nil {
			t.ts, t.rest = us, s[end:]
			if strings.HasPrefix(t.rest, " UTC") {
				t.rest = t.rest[4:]
			}
		}
	case len(s) >= 17 && s[2] == '/' && s[5] == '/' && s[8] == ' ' && s[11] == ':' && s[14] == ':':
		if tm, err := time.Parse("06/01/02 15:04:05", s[:17]); err == nil {
			t.ts, t.rest = tm.UnixMicro(), s[17:]
		}
	case len(s) >= 13 && s[6] == ' ' && allDigits(s[:6]) && allDigits(s[7:13]) && (len(s) == 13 || s[13] == ' '):
		if tm, err := time.Parse("060102 150405", s[:13]); err == nil {
			t.ts, t.rest = tm.UnixMicro(), s[13:]
		}
	}
}

// bracketPrefix reads "[Sun Dec 04 04:47:44 2005] [notice] …" (Apache's
// error log) and "[2024-05-01 09:15:40] …".
func bracketPrefix(s string, t *textLine) {
	end := strings.IndexByte(s, ']')
	if end < 0 || end > 48 {
		return
	}
	us, err := event.ParseTime(s[1:end])
	if err != nil {
		return
	}
	t.ts, t.rest = us, s[end+1:]
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

func monthIndex(s string) int {
	for i, m := range months {
		if s == m {
			return i + 1
		}
	}
	return 0
}

// syslogPrefix reads the BSD syslog layout (RFC 3164) as files hold it:
// "May  1 09:15:40 host app[123]: message". The year is not written: the
// one that puts the line closest before Now is taken.
func (d *decoder) syslogPrefix(s string, t *textLine) bool {
	if len(s) < 16 || s[3] != ' ' || s[6] != ' ' || s[9] != ':' || s[12] != ':' {
		return false
	}
	mon := monthIndex(s[:3])
	day, ok := atoi(strings.TrimLeft(s[4:6], " "))
	h, ok2 := atoi(s[7:9])
	mi, ok3 := atoi(s[10:12])
	sec, ok4 := atoi(s[13:15])
	if mon == 0 || !ok || !ok2 || !ok3 || !ok4 || day < 1 || day > 31 || h > 23 || mi > 59 || sec > 60 {
		return false
	}
	t.ts = d.withoutYear(time.Month(mon), day, h, mi, sec, 0)
	rest := s[15:]
	if len(rest) > 0 && rest[0] == '.' { // fractional seconds
		j := 1
		for j < len(rest) && isDigit(rest[j]) {
			j++
		}
		if frac, err := strconv.ParseFloat("0"+rest[:j], 64); err == nil {
			t.ts += int64(frac * 1e6)
		}
		rest = rest[j:]
	}
	t.rest = rest
	// host and tag: "host app[123]: message"
	fields := strings.TrimLeft(rest, " ")
	sp := strings.IndexByte(fields, ' ')
	if sp <= 0 {
		return true
	}
	host, after := fields[:sp], fields[sp+1:]
	colon := strings.Index(after, ": ")
	if colon <= 0 || colon > 64 || strings.ContainsAny(after[:colon], " ") {
		if strings.HasSuffix(after, ":") && !strings.Contains(after, " ") {
			colon = len(after) - 1
		} else {
			return true
		}
	}
	tag := after[:colon]
	t.host = host
	if i := strings.IndexByte(tag, '['); i > 0 && strings.HasSuffix(tag, "]") {
		t.pid = tag[i+1 : len(tag)-1]
		tag = tag[:i]
	}
	if i := strings.IndexByte(tag, '('); i > 0 {
		tag = tag[:i] // "sshd(pam_unix)"
	}
	t.service = tag
	t.rest = strings.TrimPrefix(after[colon:], ":")
	return true
}

// glogPrefix reads glog and klog's "E0501 09:15:40.123456   123 file.go:12] msg".
func (d *decoder) glogPrefix(s string, t *textLine) {
	if len(s) < 21 || strings.IndexByte("IWEF", s[0]) < 0 || !allDigits(s[1:5]) || s[5] != ' ' ||
		s[8] != ':' || s[11] != ':' || s[14] != '.' {
		return
	}
	mon, _ := atoi(s[1:3])
	day, _ := atoi(s[3:5])
	h, ok1 := atoi(s[6:8])
	mi, ok2 := atoi(s[9:11])
	sec, ok3 := atoi(s[12:14])
	j := 15
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	us, ok4 := atoi(s[15:j])
	for k := j - 15; k < 6; k++ {
		us *= 10
	}
	if mon < 1 || mon > 12 || day < 1 || day > 31 || !ok1 || !ok2 || !ok3 || !ok4 || j-15 > 6 {
		return
	}
	t.ts = d.withoutYear(time.Month(mon), day, h, mi, sec, us)
	t.level, _ = event.NormalizeLevel(s[:1])
	rest := s[j:]
	if k := strings.Index(rest, "] "); k >= 0 && k < 80 {
		if f := strings.Fields(rest[:k]); len(f) > 0 {
			t.pid = f[0]
		}
		rest = rest[k+2:]
	}
	t.rest = rest
}

// withoutYear dates a month, day and time that were written without a
// year: Now's year, or the one before when that would put it more than
// two days after Now.
func (d *decoder) withoutYear(mon time.Month, day, h, mi, sec, us int) int64 {
	now := time.UnixMicro(d.opts.Now).UTC()
	tm := time.Date(now.Year(), mon, day, h, mi, sec, us*1000, time.UTC)
	if tm.After(now.Add(48 * time.Hour)) {
		tm = tm.AddDate(-1, 0, 0)
	}
	return tm.UnixMicro()
}

// bglPrefix reads the Blue Gene/L RAS layout: "- 1117838570 2005.06.03
// R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS
// KERNEL INFO message", where the first field is an alert tag ("-" for
// none) and the second epoch seconds.
func bglPrefix(s string, t *textLine) bool {
	f := strings.SplitN(s, " ", 10)
	if len(f) < 10 || len(f[1]) != 10 || !allDigits(f[1]) || len(f[2]) != 10 || f[2][4] != '.' || f[2][7] != '.' {
		return false
	}
	sec, _ := strconv.ParseInt(f[1], 10, 64)
	t.ts = sec * 1e6
	if len(f[4]) == 26 { // 2005-06-03-15.42.50.675872: take the microseconds
		if us, ok := atoi(f[4][20:]); ok {
			t.ts += int64(us)
		}
	}
	t.host = f[3]
	if l, ok := event.NormalizeLevel(f[8]); ok {
		t.level = l
	}
	if f[0] != "-" {
		t.alert = f[0]
	}
	t.rest = f[9]
	return true
}

// accessLog reads the common and combined log formats of Apache and nginx:
// `127.0.0.1 - frank [01/May/2024:09:15:40 +0000] "GET /a HTTP/1.1" 200 2326 …`.
// The message is the whole line; the level follows the status (5xx error,
// 4xx warn, else info).
func accessLog(s string, t *textLine) {
	open := strings.Index(s, " [")
	if open < 0 || open > 128 {
		return
	}
	end := strings.IndexByte(s[open:], ']')
	if end < 0 {
		return
	}
	end += open
	tm, err := time.Parse("02/Jan/2006:15:04:05 -0700", s[open+2:end])
	if err != nil {
		return
	}
	t.ts = tm.UnixMicro()
	t.client = s[:strings.IndexByte(s, ' ')]
	rest := strings.TrimLeft(s[end+1:], " ")
	if len(rest) > 0 && rest[0] == '"' {
		if q := strings.IndexByte(rest[1:], '"'); q >= 0 {
			req := strings.Fields(rest[1 : q+1])
			if len(req) >= 2 {
				t.method, t.path = req[0], req[1]
				if i := strings.IndexByte(t.path, '?'); i >= 0 {
					t.path = t.path[:i]
				}
			}
			after := strings.Fields(rest[q+2:])
			if len(after) > 0 {
				t.status, _ = strconv.Atoi(after[0])
			}
		}
	}
	switch {
	case t.status >= 500:
		t.level = event.LevelError
	case t.status >= 400:
		t.level = event.LevelWarn
	default:
		t.level = event.LevelInfo
	}
	t.rest = s
}

// findLevel looks for a level among the first words of s: an upper-case
// word of three letters or more ("INFO", "WARNING", "ERR", "INFO:"), any
// word in brackets ("[error]", "<warn>", "(debug)") or "level=…". It
// returns the level and s without the words up to it when they were
// only separators, else s.
func findLevel(s string) (string, string) {
	rest := s
	for n := 0; n < 4; n++ {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			break
		}
		end := strings.IndexAny(rest, " \t")
		if end < 0 {
			end = len(rest)
		}
		word := rest[:end]
		if l, ok := levelToken(word); ok {
			return l, strings.TrimLeft(trimSeparators(rest[end:]), " \t")
		}
		rest = rest[end:]
		if !isSeparator(word) && n >= 2 {
			break
		}
	}
	return "", strings.TrimLeft(trimSeparators(s), " \t")
}

func levelToken(w string) (string, bool) {
	if len(w) < 3 || len(w) > 24 {
		return "", false
	}
	if strings.HasPrefix(w, "level=") || strings.HasPrefix(w, "lvl=") {
		return event.NormalizeLevel(strings.Trim(w[strings.IndexByte(w, '=')+1:], `"`))
	}
	w = strings.TrimRight(w, ":")
	if len(w) >= 3 {
		switch w[0] {
		case '[', '<', '(':
			last := w[len(w)-1]
			if last == ']' || last == '>' || last == ')' {
				return event.NormalizeLevel(w[1 : len(w)-1])
			}
			return "", false
		}
	}
	if len(w) < 3 {
		return "", false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'A' || w[i] > 'Z' {
			return "", false
		}
	}
	return event.NormalizeLevel(w)
}

func isSeparator(w string) bool { return w == "-" || w == "|" || w == ":" || w == "--" }

func trimSeparators(s string) string {
	for {
		t := strings.TrimLeft(s, " \t")
		switch {
		case strings.HasPrefix(t, "- "), strings.HasPrefix(t, "| "), strings.HasPrefix(t, ": "), strings.HasPrefix(t, "-- "):
			s = t[strings.IndexByte(t, ' '):]
		default:
			return s
		}
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}

func atoi(s string) (int, bool) {
	if !allDigits(s) {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
