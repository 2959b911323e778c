// Package loki decodes Loki push requests (POST /loki/api/v1/push, as
// Promtail, Grafana Alloy, Fluent Bit's loki output, Vector's loki sink and
// the Docker driver send them) into Lore events: JSON bodies, and
// snappy-compressed protobuf PushRequests. Stream labels and structured
// metadata become fields through the same mapping as JSON lines
// (service_name → service, level → level, trace_id → trace_id, the rest
// attributes); the line is the message, and a line that is a JSON object
// has its fields mapped too. Entry times are the entries'.
//
// Everything here is a pure function of bytes; the HTTP handler
// authenticates, reads the body and stores the events.
package loki

import (
	"bytes"
	"errors"
	"fmt"
	"mime"
	"strconv"
	"strings"

	"github.com/klauspost/compress/snappy"
	"github.com/valyala/fastjson"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/native"
)

// Options tell Decode what the body does not.
type Options struct {
	ProjectID int64
	Now       int64 // µs: ReceivedAt, and TS of entries without a time
	MaxLines  int   // entries per request (0: no limit); the caller answers 413
	MaxBytes  int64 // largest decompressed protobuf body (0: no limit)
}

// EntryError names one refused entry: its stream's labels, its 1-based
// position in the stream, and why.
type EntryError struct {
	Stream string
	Entry  int
	Error  string
}

func (e EntryError) String() string {
	return fmt.Sprintf("stream %s entry %d: %s", e.Stream, e.Entry, e.Error)
}

// Result is what Decode made of a push request.
type Result struct {
	Events  []event.Event
	Errors  []EntryError
	Entries int // entries looked at
}

// ErrUnsupportedContentType is wrapped by the error for a content type
// that is neither JSON nor protobuf (415).
var ErrUnsupportedContentType = errors.New("unsupported content type")

// ErrTooManyEntries is returned when a request holds more than
// Options.MaxLines entries (413).
var ErrTooManyEntries = errors.New("too many entries")

// entry is one log line of a stream, before mapping.
type entry struct {
	tsNanos int64
	tsErr   string
	line    []byte
	meta    []pair
}

type pair struct{ name, value string }

type stream struct {
	labels  string // as sent, for error messages
	pairs   []pair
	entries []entry
}

// Decode reads a push body (already stripped of its Content-Encoding) in
// the format its content type names: application/json, or
// application/x-protobuf (snappy-compressed, as Loki's clients send it).
// err is set only when the body cannot be read at all; refused entries are
// in Result.Errors and the others are decoded.
func Decode(body []byte, contentType string, opts Options) (Result, error) {
	mt := "application/x-protobuf"
	if strings.TrimSpace(contentType) != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(contentType); err != nil {
			return Result{}, fmt.Errorf("%w %q: %w", ErrUnsupportedContentType, contentType, err)
		}
	}
	var (
		streams []stream
		err     error
	)
	switch mt {
	case "application/json":
		streams, err = parseJSON(body)
	case "application/x-protobuf", "application/protobuf", "application/octet-stream":
		streams, err = parseProto(body, opts.MaxBytes)
	default:
		return Result{}, fmt.Errorf("%w %q: Loki push takes application/x-protobuf (snappy) or application/json", ErrUnsupportedContentType, contentType)
	}
	if err != nil {
		return Result{}, err
	}
	return build(streams, opts)
}

// build maps the streams' entries onto events through the JSON-lines
// decoder: each entry becomes one JSON object holding its labels, its
// structured metadata, and its line (the line's own fields when it is a
// JSON object, else "message").
func build(streams []stream, opts Options) (Result, error) {
	var res Result
	var lines []byte
	type ref struct {
		s, e int
	}
	var refs []ref
	for si := range streams {
		s := &streams[si]
		for ei := range s.entries {
			en := &s.entries[ei]
			res.Entries++
			if opts.MaxLines > 0 && res.Entries > opts.MaxLines {
				return Result{}, fmt.Errorf("%w: more than %d in one request; split the batch", ErrTooManyEntries, opts.MaxLines)
			}
			if en.tsErr != "" {
				res.Errors = append(res.Errors, EntryError{Stream: s.labels, Entry: ei + 1, Error: en.tsErr})
				continue
			}
			lines = appendObject(lines, s.pairs, en)
			lines = append(lines, '\n')
			refs = append(refs, ref{si, ei})
		}
	}
	if len(refs) == 0 {
		return res, nil
	}
	dec := native.Decode(lines, native.Options{ProjectID: opts.ProjectID, Now: opts.Now})
	if len(dec.Events)+len(dec.Errors) != len(refs) {
		return Result{}, fmt.Errorf("decode %d Loki entries: got %d events and %d errors", len(refs), len(dec.Events), len(dec.Errors))
	}
	bad := make(map[int]string, len(dec.Errors))
	for _, le := range dec.Errors {
		bad[le.Line] = le.Error
	}
	res.Events = dec.Events
	ev := 0
	for i, r := range refs {
		if reason, ok := bad[i+1]; ok {
			res.Errors = append(res.Errors, EntryError{Stream: streams[r.s].labels, Entry: r.e + 1, Error: reason})
			continue
		}
		e := &res.Events[ev]
		ev++
		if ns := streams[r.s].entries[r.e].tsNanos; ns != 0 {
			e.TS = ns / 1000
		}
	}
	return res, nil
}

// appendObject renders one entry as a JSON object for the JSON-lines
// decoder. The line's own fields come first, then the structured metadata,
// then the stream labels: where two name the same field, the most specific
// wins (the mapper keeps the first) and the others stay attributes.
func appendObject(b []byte, labels []pair, en *entry) []byte {
	b = append(b, '{')
	n := 0
	add := func(k, v string) {
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = event.AppendJSONString(b, k)
		b = append(b, ':')
		b = event.AppendJSONString(b, v)
	}
	line := bytes.TrimSpace(en.line)
	if isJSONObject(line) && !bytes.ContainsAny(line, "\n\r") {
		if inner := bytes.TrimSpace(line[1 : len(line)-1]); len(inner) > 0 {
			b = append(b, inner...)
			n++
		}
	} else {
		add("message", string(en.line))
	}
	for _, p := range en.meta {
		add(p.name, p.value)
	}
	for _, p := range labels {
		add(p.name, p.value)
	}
	return append(b, '}')
}

// isJSONObject reports whether a line is a valid JSON object.
func isJSONObject(line []byte) bool {
	if len(line) < 2 || line[0] != '{' || line[len(line)-1] != '}' {
		return false
	}
	return fastjson.ValidateBytes(line) == nil
}

// parseTS reads an entry time: nanoseconds since the epoch, as a string
// (Loki's JSON) or a number.
func parseTS(s string) (int64, string) {
	ns, err := strconv.ParseInt(s, 10, 64)
	if err != nil || ns < 0 {
		return 0, fmt.Sprintf("invalid timestamp: %q is not nanoseconds since the Unix epoch", trunc(s))
	}
	return ns, ""
}

// ParseLabels reads a stream selector as protobuf streams carry their
// labels: {job="api", level="info"}, with Go-style escapes in values.
func ParseLabels(s string) ([]pair, error) {
	in := strings.TrimSpace(s)
	if !strings.HasPrefix(in, "{") || !strings.HasSuffix(in, "}") {
		return nil, fmt.Errorf("cannot parse labels %q: want {name=\"value\", …}", trunc(s))
	}
	in = in[1 : len(in)-1]
	var out []pair
	for {
		in = strings.TrimLeft(in, " \t,")
		if in == "" {
			return out, nil
		}
		eq := strings.IndexByte(in, '=')
		if eq <= 0 {
			return nil, fmt.Errorf("cannot parse labels %q: a label name must be followed by =", trunc(s))
		}
		name := strings.TrimSpace(in[:eq])
		rest := strings.TrimLeft(in[eq+1:], " \t")
		if rest == "" || rest[0] != '"' {
			return nil, fmt.Errorf("cannot parse labels %q: the value of %q must be quoted", trunc(s), name)
		}
		q, err := strconv.QuotedPrefix(rest)
		if err != nil {
			return nil, fmt.Errorf("cannot parse labels %q: bad value of %q: %w", trunc(s), name, err)
		}
		v, err := strconv.Unquote(q)
		if err != nil {
			return nil, fmt.Errorf("cannot parse labels %q: bad value of %q: %w", trunc(s), name, err)
		}
		out = append(out, pair{name, v})
		in = rest[len(q):]
	}
}

func parseSnappy(body []byte, maxBytes int64) ([]byte, error) {
	n, err := snappy.DecodedLen(body)
	if err != nil {
		return nil, fmt.Errorf("cannot decode snappy body of %d bytes: %w", len(body), err)
	}
	if maxBytes > 0 && int64(n) > maxBytes {
		return nil, fmt.Errorf("snappy body decompresses to %d bytes, over the limit of %d", n, maxBytes)
	}
	out, err := snappy.Decode(nil, body)
	if err != nil {
		return nil, fmt.Errorf("cannot decode snappy body of %d bytes: %w", len(body), err)
	}
	return out, nil
}

func trunc(s string) string {
	if len(s) > 64 {
		return s[:64] + "…"
	}
	return s
}
