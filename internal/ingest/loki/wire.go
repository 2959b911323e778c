package loki

import (
	"fmt"
	"sort"

	"github.com/valyala/fastjson"
	"google.golang.org/protobuf/encoding/protowire"
)

// parseJSON reads {"streams":[{"stream":{labels},"values":[["ns","line",{metadata}]]}]}.
func parseJSON(body []byte) ([]stream, error) {
	var p fastjson.Parser
	v, err := p.ParseBytes(body)
	if err != nil {
		return nil, fmt.Errorf("cannot parse Loki push JSON: %w", err)
	}
	arr := v.GetArray("streams")
	if arr == nil && v.Get("streams") != nil && v.Get("streams").Type() != fastjson.TypeNull {
		return nil, fmt.Errorf("cannot parse Loki push JSON: \"streams\" must be an array, got %s", v.Get("streams").Type())
	}
	streams := make([]stream, 0, len(arr))
	for i, sv := range arr {
		var s stream
		lo := sv.GetObject("stream")
		if lo == nil {
			lo = sv.GetObject("labels")
		}
		if lo != nil {
			lo.Visit(func(k []byte, v *fastjson.Value) {
				s.pairs = append(s.pairs, pair{string(k), stringOf(v)})
			})
		}
		sortPairs(s.pairs)
		s.labels = selector(s.pairs)
		for _, ev := range sv.GetArray("values") {
			items, err := ev.Array()
			var en entry
			switch {
			case err != nil || len(items) < 2:
				en.tsErr = fmt.Sprintf("an entry must be [\"<unix ns>\", \"<line>\", {metadata}], got %s", trunc(ev.String()))
			default:
				en.tsNanos, en.tsErr = parseTS(stringOf(items[0]))
				if items[1].Type() == fastjson.TypeString {
					en.line, _ = items[1].StringBytes()
				} else {
					en.line = items[1].MarshalTo(nil)
				}
				if len(items) > 2 {
					if mo, err := items[2].Object(); err == nil {
						mo.Visit(func(k []byte, v *fastjson.Value) {
							en.meta = append(en.meta, pair{string(k), stringOf(v)})
						})
					}
				}
			}
			s.entries = append(s.entries, en)
		}
		if sv.Type() != fastjson.TypeObject {
			return nil, fmt.Errorf("cannot parse Loki push JSON: stream %d is %s, want an object", i+1, sv.Type())
		}
		streams = append(streams, s)
	}
	return streams, nil
}

func stringOf(v *fastjson.Value) string {
	if v.Type() == fastjson.TypeString {
		b, _ := v.StringBytes()
		return string(b)
	}
	return string(v.MarshalTo(nil))
}

func sortPairs(ps []pair) {
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].name < ps[j].name })
}

// selector renders labels as Loki prints a stream: {a="1", b="2"}.
func selector(ps []pair) string {
	b := []byte{'{'}
	for i, p := range ps {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, p.name...)
		b = append(b, '=')
		b = fmt.Appendf(b, "%q", p.value)
	}
	return string(append(b, '}'))
}

// parseProto reads a snappy-compressed logproto.PushRequest:
//
//	PushRequest   { repeated Stream streams = 1; }
//	Stream        { string labels = 1; repeated Entry entries = 2; uint64 hash = 3; }
//	Entry         { Timestamp timestamp = 1; string line = 2; repeated LabelPair structuredMetadata = 3; }
//	LabelPair     { string name = 1; string value = 2; }
//	Timestamp     { int64 seconds = 1; int32 nanos = 2; }
func parseProto(body []byte, maxBytes int64) ([]stream, error) {
	raw, err := parseSnappy(body, maxBytes)
	if err != nil {
		return nil, err
	}
	var streams []stream
	err = fields(raw, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		if num != 1 || typ != protowire.BytesType {
			return nil
		}
		s, err := parseStream(v)
		if err != nil {
			return fmt.Errorf("stream %d: %w", len(streams)+1, err)
		}
		streams = append(streams, s)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("cannot decode Loki push protobuf: %w", err)
	}
	return streams, nil
}

func parseStream(b []byte) (stream, error) {
	var s stream
	var labels string
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			labels = string(v)
		case num == 2 && typ == protowire.BytesType:
			en, err := parseEntry(v)
			if err != nil {
				return fmt.Errorf("entry %d: %w", len(s.entries)+1, err)
			}
			s.entries = append(s.entries, en)
		}
		return nil
	})
	if err != nil {
		return s, err
	}
	s.labels = labels
	ps, perr := ParseLabels(labels)
	if perr != nil {
		// The stream's entries are refused, by name; the other streams stay.
		for i := range s.entries {
			s.entries[i].tsErr = perr.Error()
		}
		return s, nil
	}
	sortPairs(ps)
	s.pairs = ps
	return s, nil
}

func parseEntry(b []byte) (entry, error) {
	var en entry
	var secs, nanos int64
	hasTS := false
	err := fields(b, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
		switch {
		case num == 1 && typ == protowire.BytesType:
			hasTS = true
			return fields(v, func(num protowire.Number, typ protowire.Type, _ []byte, x uint64) error {
				switch {
				case num == 1 && typ == protowire.VarintType:
					secs = int64(x)
				case num == 2 && typ == protowire.VarintType:
					nanos = int64(int32(x))
				}
				return nil
			})
		case num == 2 && typ == protowire.BytesType:
			en.line = v
		case num == 3 && typ == protowire.BytesType:
			var p pair
			err := fields(v, func(num protowire.Number, typ protowire.Type, v []byte, _ uint64) error {
				if typ == protowire.BytesType {
					switch num {
					case 1:
						p.name = string(v)
					case 2:
						p.value = string(v)
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			en.meta = append(en.meta, p)
		}
		return nil
	})
	if err != nil {
		return en, err
	}
	switch {
	case !hasTS:
	case secs < 0 || secs > 1<<33 || nanos < 0 || nanos >= 1e9:
		en.tsErr = fmt.Sprintf("invalid timestamp: seconds %d, nanos %d", secs, nanos)
	default:
		en.tsNanos = secs*1e9 + nanos
	}
	return en, nil
}

// fields walks the fields of one protobuf message, calling f with each
// field's number, type and value (bytes for length-delimited fields, the
// integer for varint and fixed ones).
func fields(b []byte, f func(num protowire.Number, typ protowire.Type, v []byte, x uint64) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return fmt.Errorf("bad field tag: %w", protowire.ParseError(n))
		}
		b = b[n:]
		var (
			v []byte
			x uint64
		)
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.Fixed64Type:
			x, n = protowire.ConsumeFixed64(b)
		case protowire.Fixed32Type:
			var x32 uint32
			x32, n = protowire.ConsumeFixed32(b)
			x = uint64(x32)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return fmt.Errorf("bad value of field %d: %w", num, protowire.ParseError(n))
		}
		b = b[n:]
		if err := f(num, typ, v, x); err != nil {
			return err
		}
	}
	return nil
}
