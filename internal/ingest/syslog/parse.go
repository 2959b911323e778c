// Package syslog receives syslog messages: RFC 5424 and RFC 3164 (BSD)
// formats, over UDP (a datagram a message) and TCP (RFC 6587 octet counting
// or newline framing), as rsyslog, syslog-ng, logger, network devices and
// most daemons send them. Parse is a pure function from one message to an
// event; Server (server.go) is the listener.
//
// Mapping: HOSTNAME → host, APP-NAME (3164: the tag) → service, the
// severity → level, facility, severity, PROCID and MSGID → the attributes
// syslog.facility, syslog.severity, syslog.procid, syslog.msgid; each
// structured-data parameter → the attribute SDID.name. The MSG is read like
// a line of POST /api/v1/ingest (a JSON or logfmt message has its fields
// mapped, its own level and time kept). The project is the one of the key
// in a [lore key="…"] element (never stored), else the listener's.
package syslog

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lore-dev/lore/internal/event"
)

// Message is one parsed syslog message, before it becomes an event.
type Message struct {
	Facility  int
	Severity  int
	TS        int64 // µs; 0 when the message has none
	Hostname  string
	AppName   string
	ProcID    string
	MsgID     string
	SD        []Param // structured data, in order
	Key       string  // the ingest key from [lore key="…"], if any
	Msg       []byte
	RFC5424   bool
	HeaderErr string // a 3164 header that could not be read (the message is kept whole)
}

// Param is one structured-data parameter.
type Param struct{ ID, Name, Value string }

// ErrNoPriority is wrapped by the error of a message that does not start
// with <PRI>.
var ErrNoPriority = errors.New("invalid syslog message")

var facilities = [...]string{"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp", "ntp", "security", "console", "solaris-cron",
	"local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}

var severities = [...]string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// FacilityName is the keyword of a facility number ("auth", "local0").
func FacilityName(f int) string {
	if f >= 0 && f < len(facilities) {
		return facilities[f]
	}
	return strconv.Itoa(f)
}

// Level maps a syslog severity to an event level.
func Level(sev int) string {
	switch {
	case sev <= 2:
		return event.LevelFatal
	case sev == 3:
		return event.LevelError
	case sev == 4:
		return event.LevelWarn
	case sev <= 6:
		return event.LevelInfo
	}
	return event.LevelDebug
}

// Parse reads one message (without its transport framing). now (µs) gives
// the year of RFC 3164 timestamps, which have none; they are read as UTC.
func Parse(b []byte, now int64) (Message, error) {
	var m Message
	b = bytes.TrimRight(b, "\r\n\x00")
	if len(b) < 3 || b[0] != '<' {
		return m, fmt.Errorf("%w: it must start with <PRI>, got %q", ErrNoPriority, head(b))
	}
	end := bytes.IndexByte(b[:min(len(b), 5)], '>')
	if end < 2 {
		return m, fmt.Errorf("%w: bad <PRI> in %q", ErrNoPriority, head(b))
	}
	pri, err := strconv.Atoi(string(b[1:end]))
	if err != nil || pri < 0 || pri > 191 {
		return m, fmt.Errorf("%w: <PRI> must be 0 to 191, got %q", ErrNoPriority, b[:end+1])
	}
	m.Facility, m.Severity = pri/8, pri%8
	rest := b[end+1:]
	if len(rest) >= 2 && rest[0] == '1' && rest[1] == ' ' {
		m.RFC5424 = true
		if err := parse5424(&m, rest[2:]); err != nil {
			return m, err
		}
		return m, nil
	}
	parse3164(&m, rest, now)
	return m, nil
}

// parse5424 reads TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD [MSG].
func parse5424(m *Message, b []byte) error {
	var f [5]string
	for i := range f {
		sp := bytes.IndexByte(b, ' ')
		if sp < 0 {
			if i == 4 && len(b) > 0 { // MSGID ends the message: no SD
				f[i], b = string(b), nil
				break
			}
			return fmt.Errorf("invalid RFC 5424 message: header ends after %d fields: %q", i, head(b))
		}
		f[i], b = string(b[:sp]), b[sp+1:]
	}
	nil5424 := func(s string) string {
		if s == "-" {
			return ""
		}
		return s
	}
	if ts := f[0]; ts != "-" {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return fmt.Errorf("invalid RFC 5424 message: cannot parse timestamp %q: %w", ts, err)
		}
		m.TS = t.UnixMicro()
	}
	m.Hostname, m.AppName, m.ProcID, m.MsgID = nil5424(f[1]), nil5424(f[2]), nil5424(f[3]), nil5424(f[4])
	switch {
	case len(b) == 0:
	case b[0] == '-':
		b = b[1:]
	case b[0] == '[':
		n, err := parseSD(m, b)
		if err != nil {
			return err
		}
		b = b[n:]
	default:
		return fmt.Errorf("invalid RFC 5424 message: structured data must be - or [id …], got %q", head(b))
	}
	b = bytes.TrimPrefix(b, []byte(" "))
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf")) // BOM
	// rsyslog's %msg% of a relayed BSD message keeps the space after the tag.
	m.Msg = bytes.TrimLeft(b, " ")
	return nil
}

// parseSD reads SD-ELEMENTs ([id name="value" …]…) and returns the bytes
// read. In values, \" \\ and \] are escapes.
func parseSD(m *Message, b []byte) (int, error) {
	i := 0
	bad := func(format string, args ...any) (int, error) {
		return 0, fmt.Errorf("invalid RFC 5424 structured data %q: %s", head(b), fmt.Sprintf(format, args...))
	}
	for i < len(b) && b[i] == '[' {
		i++
		j := i
		for j < len(b) && b[j] != ' ' && b[j] != ']' {
			j++
		}
		if j == i || j >= len(b) {
			return bad("an element needs an id")
		}
		id := string(b[i:j])
		i = j
		for i < len(b) && b[i] == ' ' {
			i++
			eq := bytes.IndexByte(b[i:], '=')
			if eq <= 0 || i+eq+1 >= len(b) || b[i+eq+1] != '"' {
				return bad("a parameter of [%s] must be name=\"value\"", id)
			}
			name := string(b[i : i+eq])
			i += eq + 2
			var v []byte
			for {
				if i >= len(b) {
					return bad("the value of %s.%s is not closed", id, name)
				}
				c := b[i]
				if c == '\\' && i+1 < len(b) && (b[i+1] == '"' || b[i+1] == '\\' || b[i+1] == ']') {
					v = append(v, b[i+1])
					i += 2
					continue
				}
				i++
				if c == '"' {
					break
				}
				v = append(v, c)
			}
			if (id == "lore" || strings.HasPrefix(id, "lore@")) && name == "key" {
				m.Key = string(v)
				continue
			}
			m.SD = append(m.SD, Param{ID: id, Name: name, Value: string(v)})
		}
		if i >= len(b) || b[i] != ']' {
			return bad("element [%s] is not closed", id)
		}
		i++
	}
	return i, nil
}

// parse3164 reads "Mmm dd hh:mm:ss HOSTNAME TAG[PID]: MSG" leniently: what
// it cannot read stays in the message, as RFC 3164 asks of relays.
func parse3164(m *Message, b []byte, now int64) {
	m.Msg = b
	if len(b) >= 16 && b[3] == ' ' && b[6] == ' ' && b[9] == ':' && b[12] == ':' && b[15] == ' ' {
		stamp := string(b[:15])
		t, err := time.Parse(time.Stamp, stamp)
		if err != nil {
			m.HeaderErr = fmt.Sprintf("cannot parse timestamp %q: %v", stamp, err)
			return
		}
		n := time.UnixMicro(now).UTC()
		t = time.Date(n.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), 0, time.UTC)
		if t.After(n.Add(48 * time.Hour)) { // December's messages read in January
			t = t.AddDate(-1, 0, 0)
		}
		m.TS = t.UnixMicro()
		b = b[16:]
	} else if t, rest, ok := leadingRFC3339(b); ok { // rsyslog's high-precision format
		m.TS = t
		b = rest
	} else {
		return
	}
	// HOSTNAME, when the next word is not already the tag.
	if sp := bytes.IndexByte(b, ' '); sp > 0 && !isTag(b[:sp]) {
		m.Hostname = string(b[:sp])
		b = b[sp+1:]
	}
	// TAG[PID]: MSG
	if sp := bytes.IndexByte(b, ' '); sp > 0 && isTag(b[:sp]) {
		tag := b[:sp-1]
		if open := bytes.IndexByte(tag, '['); open > 0 && tag[len(tag)-1] == ']' {
			m.ProcID = string(tag[open+1 : len(tag)-1])
			tag = tag[:open]
		}
		m.AppName = string(tag)
		b = b[sp+1:]
	}
	m.Msg = b
}

// isTag reports whether a word is a tag: name[pid]: or name:.
func isTag(w []byte) bool {
	if len(w) < 2 || w[len(w)-1] != ':' {
		return false
	}
	return utf8.Valid(w) && !bytes.ContainsAny(w[:len(w)-1], ":")
}

func leadingRFC3339(b []byte) (int64, []byte, bool) {
	sp := bytes.IndexByte(b, ' ')
	if sp < 19 || sp > 40 || b[4] != '-' || b[10] != 'T' {
		return 0, nil, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(b[:sp]))
	if err != nil {
		return 0, nil, false
	}
	return t.UnixMicro(), b[sp+1:], true
}

func head(b []byte) []byte {
	const n = 48
	if len(b) > n {
		return b[:n]
	}
	return b
}
