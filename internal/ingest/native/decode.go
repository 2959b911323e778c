// Package native decodes the bodies of Lore's own ingest endpoint,
// POST /api/v1/ingest: JSON lines (NDJSON), one JSON array of objects,
// logfmt lines and plain text lines, detected line by line so that mixed
// bodies work. Field names are mapped onto the event model by
// event.Mapper; plain text lines have their timestamp, level and a few
// well-known facts (syslog host and program, access-log request) read
// from common layouts.
package native

import (
	"bytes"
	"fmt"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/valyala/fastjson"
)

// MaxLineBytes is the longest line Decode accepts.
const MaxLineBytes = 1 << 20

// Options tell Decode what the body itself does not.
type Options struct {
	ProjectID int64
	Now       int64  // µs; used for ReceivedAt and for lines without a timestamp (0: the clock)
	Service   string // default service when a line names none (e.g. from ?service= or a file name)
	MaxLines  int    // 0 = no limit; lines beyond it are rejected with one error
}

// LineError tells why one line (or array element) was rejected. Error
// starts with a short reason ("invalid JSON", "invalid timestamp", "line
// too long", "too many lines"), then ": " and the detail quoting the bad
// value.
type LineError struct {
	Line  int    `json:"line"` // 1-based line, or array element
	Error string `json:"error"`
}

// Result is what Decode made of a body. Lines counts the lines (or array
// elements) looked at: Lines == len(Events) + len(Errors) + Skipped.
type Result struct {
	Events  []event.Event
	Errors  []LineError
	Lines   int
	Skipped int // empty lines, skipped silently
}

// Decode turns a body into events. Bad lines are reported in Errors and
// do not stop the good lines around them.
func Decode(body []byte, opts Options) Result {
	if opts.Now <= 0 {
		opts.Now = time.Now().UnixMicro()
	}
	d := decoder{opts: opts}
	// Room for every line, but not for a body of empty lines: an event is
	// some 400 bytes, a line can be one.
	d.res.Events = make([]event.Event, 0, min(bytes.Count(body, []byte{'\n'})+1, 8192))
	if d.isJSONArray(body) {
		d.decodeArray(body)
	} else {
		d.decodeLines(body)
	}
	return d.res
}

// decoder holds what one Decode call reuses from line to line.
type decoder struct {
	opts    Options
	res     Result
	records int // non-empty records seen, for MaxLines
	parser  fastjson.Parser
	mapper  event.Mapper
	keyBuf  []byte
	valBuf  []byte
	arena   []byte            // see arena.go
	attrs   []event.Attr      // see arena.go
	keys    map[string]string // interned keys
	pairs   []logfmtPair
	// keys by their position in the previous record
	lastKeys [32]string
	fieldPos int
}

// isJSONArray reports whether body is meant as one JSON array of objects:
// it starts with "[" followed by "{" or "]", or with a line holding only
// "[". Text lines starting with "[" (Apache's "[Sun Dec 04 …]") are not.
func (d *decoder) isJSONArray(body []byte) bool {
	b := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if len(b) == 0 || b[0] != '[' {
		return false
	}
	rest := bytes.TrimLeft(b[1:], " \t\r\n")
	return len(rest) == 0 || rest[0] == '{' || rest[0] == ']' || bytes.HasPrefix(b[1:], []byte("\n")) || bytes.HasPrefix(b[1:], []byte("\r\n"))
}

func (d *decoder) decodeArray(body []byte) {
	v, err := d.parser.ParseBytes(body)
	if err != nil {
		d.res.Lines = 1
		d.fail(1, "invalid JSON", "%s", jsonError(body, err))
		return
	}
	arr, err := v.Array()
	if err != nil {
		d.res.Lines = 1
		d.fail(1, "invalid JSON", "body starts with %q but is not an array", "[")
		return
	}
	for i, el := range arr {
		line := i + 1
		d.res.Lines = line
		if d.overLimit(line, func() int { return len(arr) - i }) {
			return
		}
		o, err := el.Object()
		if err != nil {
			d.fail(line, "invalid JSON", "array element is %s, want an object", el.Type())
			continue
		}
		d.emitObject(line, o)
	}
}

func (d *decoder) decodeLines(body []byte) {
	line := 0
	for len(body) > 0 {
		var raw []byte
		if i := bytes.IndexByte(body, '\n'); i >= 0 {
			raw, body = body[:i], body[i+1:]
		} else {
			raw, body = body, nil
		}
		line++
		d.res.Lines = line
		if len(raw) > MaxLineBytes {
			d.records++
			d.fail(line, "line too long", "%d bytes (max %d)", len(raw), MaxLineBytes)
			continue
		}
		raw = bytes.TrimSpace(raw)
		if line == 1 {
			raw = bytes.TrimPrefix(raw, []byte("\ufeff"))
		}
		if len(raw) == 0 {
			d.res.Skipped++
			continue
		}
		if d.overLimit(line, func() int { return 1 + countRecords(body) }) {
			return
		}
		if looksLikeJSON(raw) {
			d.decodeJSONLine(line, raw)
		} else {
			d.decodeText(line, string(raw))
		}
	}
}

// overLimit counts one more record and, past MaxLines, rejects it and the
// rest records after it with one error.
func (d *decoder) overLimit(line int, rest func() int) bool {
	d.records++
	if d.opts.MaxLines <= 0 || d.records <= d.opts.MaxLines {
		return false
	}
	d.fail(line, "too many lines", "%d lines from line %d on were rejected (max %d lines per request)", rest(), line, d.opts.MaxLines)
	return true
}

// looksLikeJSON reports whether a line is meant as a JSON object: it
// starts with "{" followed by a quote or "}". A truncated object is then
// reported as invalid JSON, while text such as "{a b} done" stays text.
func looksLikeJSON(raw []byte) bool {
	if raw[0] != '{' {
		return false
	}
	rest := bytes.TrimLeft(raw[1:], " \t")
	return len(rest) == 0 || rest[0] == '"' || rest[0] == '}'
}

func countRecords(b []byte) int {
	n := 0
	for len(b) > 0 {
		var l []byte
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			l, b = b[:i], b[i+1:]
		} else {
			l, b = b, nil
		}
		if len(bytes.TrimSpace(l)) > 0 {
			n++
		}
	}
	return n
}

func (d *decoder) fail(line int, reason, format string, args ...any) {
	d.res.Errors = append(d.res.Errors, LineError{Line: line, Error: reason + ": " + fmt.Sprintf(format, args...)})
}

// begin appends a new event and starts mapping into it.
func (d *decoder) begin() *event.Event {
	// The events slice is made zeroed and dropped events are zeroed (in
	// end), so a slot within its capacity needs no clearing.
	if n := len(d.res.Events); n < cap(d.res.Events) {
		d.res.Events = d.res.Events[:n+1]
	} else {
		d.res.Events = append(d.res.Events, event.Event{})
	}
	e := &d.res.Events[len(d.res.Events)-1]
	d.fieldPos = 0
	e.ProjectID = d.opts.ProjectID
	e.ReceivedAt = d.opts.Now
	d.attrSpace(e)
	d.mapper.Reset(e)
	return e
}

// end finishes the event begun last, or drops it when err is not nil.
func (d *decoder) end(line int, e *event.Event, err error) {
	if err != nil {
		*e = event.Event{}
		d.res.Events = d.res.Events[:len(d.res.Events)-1]
		d.fail(line, "invalid timestamp", "%s", trimReason(err.Error(), "invalid timestamp: "))
		return
	}
	d.mapper.Finish()
	d.attrDone(e)
	if e.TS == 0 {
		e.TS = d.opts.Now
	}
	if e.Service == "" {
		e.Service = d.opts.Service
	}
}

func trimReason(s, prefix string) string {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):]
	}
	return s
}
