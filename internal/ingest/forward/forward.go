// Package forward receives the Fluentd/Fluent Bit forward protocol (v1)
// over TCP: MessagePack arrays in the Message, Forward, PackedForward and
// CompressedPackedForward modes, with EventTime or integer times, and the
// {"ack": chunk} answer once a chunk is durable. Fluent Bit's and Fluentd's
// forward outputs and the fluent-logger libraries speak it.
//
// Records are mapped like JSON lines (log, message, level, trace_id,
// nested kubernetes.* …); the tag becomes the attribute fluent.tag, and
// the service when the record names none. The shared-key handshake is not
// supported: each listener writes to the project of its key.
package forward

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/native"
)

// Entry is one record with its time.
type Entry struct {
	TimeNs int64
	Record map[string]any
}

// Message is one forward-protocol message: a tag and its entries.
type Message struct {
	Tag     string
	Entries []Entry
	Chunk   string   // option "chunk": the sender waits for {"ack": Chunk}
	Errors  []string // entries refused, by position ("entry 3: …")
}

// DecodeMessage reads one top-level message (already decoded from
// MessagePack). maxBytes bounds a compressed entry stream once inflated.
// An error means the message cannot be read at all; bad entries are in
// Message.Errors and the rest are kept.
func DecodeMessage(v any, maxBytes int64) (Message, error) {
	var m Message
	arr, ok := v.([]any)
	if !ok || len(arr) < 2 {
		return m, fmt.Errorf("a forward message must be an array [tag, …], got %s", describe(v))
	}
	if m.Tag, ok = arr[0].(string); !ok {
		return m, fmt.Errorf("the tag must be a string, got %s", describe(arr[0]))
	}
	var opts map[string]any
	option := func(i int) {
		if len(arr) > i {
			opts, _ = arr[i].(map[string]any)
		}
	}
	switch second := arr[1].(type) {
	case []any: // Forward: [tag, [[time, record], …], option]
		option(2)
		for i, e := range second {
			m.addEntry(i+1, e)
		}
	case string: // PackedForward: [tag, bin of entries, option]
		option(2)
		stream := []byte(second)
		if c, _ := opts["compressed"].(string); c == "gzip" {
			var err error
			if stream, err = gunzip(stream, maxBytes); err != nil {
				return m, err
			}
		} else if c != "" && c != "text" {
			return m, fmt.Errorf("unsupported compression %q: the forward protocol uses gzip", c)
		}
		for i := 1; len(stream) > 0; i++ {
			e, rest, err := decode(stream, 0)
			if err != nil {
				return m, fmt.Errorf("cannot read entry %d of the packed stream: %w", i, err)
			}
			m.addEntry(i, e)
			stream = rest
		}
	default: // Message: [tag, time, record, option]
		option(3)
		if len(arr) < 3 {
			return m, fmt.Errorf("a message needs [tag, time, record], got %d elements", len(arr))
		}
		m.addEntry(1, []any{arr[1], arr[2]})
	}
	if c, ok := opts["chunk"].(string); ok {
		m.Chunk = c
	}
	return m, nil
}

func (m *Message) addEntry(pos int, v any) {
	pair, ok := v.([]any)
	if !ok || len(pair) < 2 {
		m.Errors = append(m.Errors, fmt.Sprintf("entry %d: want [time, record], got %s", pos, describe(v)))
		return
	}
	ts, err := eventTime(pair[0])
	if err != nil {
		m.Errors = append(m.Errors, fmt.Sprintf("entry %d: %v", pos, err))
		return
	}
	rec, ok := pair[1].(map[string]any)
	if !ok {
		m.Errors = append(m.Errors, fmt.Sprintf("entry %d: the record must be a map, got %s", pos, describe(pair[1])))
		return
	}
	m.Entries = append(m.Entries, Entry{TimeNs: ts, Record: rec})
}

// eventTime reads an entry time: integer seconds, a float, or EventTime
// (extension 0: big-endian uint32 seconds and nanoseconds).
func eventTime(v any) (int64, error) {
	switch t := v.(type) {
	case int64:
		if t < 0 || t > 1<<33 {
			return 0, fmt.Errorf("invalid time %d: want seconds since the Unix epoch", t)
		}
		return t * 1e9, nil
	case uint64:
		return 0, fmt.Errorf("invalid time %d: want seconds since the Unix epoch", t)
	case float64:
		if t < 0 || t > 1<<33 || math.IsNaN(t) {
			return 0, fmt.Errorf("invalid time %v: want seconds since the Unix epoch", t)
		}
		return int64(t * 1e9), nil
	case ext:
		if t.typ != 0 || len(t.data) != 8 {
			return 0, fmt.Errorf("invalid time: extension type %d of %d bytes, want EventTime (type 0, 8 bytes)", t.typ, len(t.data))
		}
		sec, ns := binary.BigEndian.Uint32(t.data), binary.BigEndian.Uint32(t.data[4:])
		if ns >= 1e9 {
			return 0, fmt.Errorf("invalid EventTime: %d nanoseconds", ns)
		}
		return int64(sec)*1e9 + int64(ns), nil
	}
	return 0, fmt.Errorf("invalid time: got %s", describe(v))
}

// gunzip inflates a CompressedPackedForward stream: one or more gzip
// members, at most maxBytes (maxBytes <= 0: no limit).
func gunzip(b []byte, maxBytes int64) ([]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("cannot read the gzip entry stream: %w", err)
	}
	var r io.Reader = zr
	if maxBytes > 0 {
		r = io.LimitReader(zr, maxBytes+1)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("cannot inflate the gzip entry stream: %w", err)
	}
	if maxBytes > 0 && int64(len(out)) > maxBytes {
		return nil, fmt.Errorf("the gzip entry stream inflates beyond %d bytes", maxBytes)
	}
	return out, nil
}

// Events maps a message's entries onto events of a project; errs names the
// entries refused while mapping (an invalid time field in a record).
func Events(m *Message, project, now int64) (events []event.Event, errs []string) {
	if len(m.Entries) == 0 {
		return nil, nil
	}
	var body []byte
	for i := range m.Entries {
		body = appendJSON(body, m.Entries[i].Record)
		body = append(body, '\n')
	}
	dec := native.Decode(body, native.Options{ProjectID: project, Now: now})
	if len(dec.Events)+len(dec.Errors) != len(m.Entries) {
		return nil, []string{fmt.Sprintf("internal error: %d entries decoded into %d events and %d errors", len(m.Entries), len(dec.Events), len(dec.Errors))}
	}
	bad := map[int]bool{}
	for _, le := range dec.Errors {
		bad[le.Line] = true
		errs = append(errs, fmt.Sprintf("entry %d: %s", le.Line, le.Error))
	}
	ev := 0
	for i := range m.Entries {
		if bad[i+1] {
			continue
		}
		e := &dec.Events[ev]
		ev++
		e.TS = m.Entries[i].TimeNs / 1000
		e.Attributes = append(e.Attributes, event.Attr{Key: "fluent.tag", Value: m.Tag})
		if e.Service == "" {
			e.Service = m.Tag
		}
	}
	return dec.Events, errs
}

// appendJSON renders a decoded MessagePack value as JSON (map keys sorted,
// binary extensions as hex).
func appendJSON(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case bool:
		return strconv.AppendBool(b, v)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return event.AppendJSONString(b, strconv.FormatFloat(v, 'g', -1, 64))
		}
		return strconv.AppendFloat(b, v, 'g', -1, 64)
	case string:
		return event.AppendJSONString(b, v)
	case ext:
		return event.AppendJSONString(b, hex.EncodeToString(v.data))
	case []any:
		b = append(b, '[')
		for i, x := range v {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, x)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			b = event.AppendJSONString(b, k)
			b = append(b, ':')
			b = appendJSON(b, v[k])
		}
		return append(b, '}')
	}
	return append(b, "null"...)
}

// AppendAck renders the answer to a chunk: {"ack": chunk}.
func AppendAck(b []byte, chunk string) []byte {
	b = append(b, 0x81, 0xa3, 'a', 'c', 'k')
	switch n := len(chunk); {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n < 256:
		b = append(b, 0xd9, byte(n))
	case n < 65536:
		b = append(b, 0xda, byte(n>>8), byte(n))
	default:
		b = append(b, 0xdb, byte(n>>24), byte(n>>16), byte(n>>8), byte(n))
	}
	return append(b, chunk...)
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nil"
	case string:
		if len(v) > 32 {
			v = v[:32] + "…"
		}
		return fmt.Sprintf("the string %q", v)
	case []any:
		return fmt.Sprintf("an array of %d", len(v))
	case map[string]any:
		return fmt.Sprintf("a map of %d", len(v))
	case ext:
		return fmt.Sprintf("extension type %d", v.typ)
	}
	return fmt.Sprintf("%T %v", v, v)
}

// ErrTooLarge is wrapped by the error for a message over the size limit.
var ErrTooLarge = errors.New("message too large")
