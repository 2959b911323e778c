package forward

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// errShort is returned when b ends before the value does: a stream reader
// reads more and tries again.
var errShort = errors.New("msgpack value is incomplete")

// maxDepth bounds nesting, so a hostile message cannot exhaust the stack.
const maxDepth = 64

// ext is a MessagePack extension value (Fluent's EventTime is type 0).
type ext struct {
	typ  int8
	data []byte
}

// decode reads one MessagePack value from b and returns it with the bytes
// after it. Maps become map[string]any (other keys are rendered as
// strings), arrays []any, str and bin string, integers int64 (or uint64
// above MaxInt64), floats float64, extensions ext.
func decode(b []byte, depth int) (any, []byte, error) {
	if len(b) == 0 {
		return nil, nil, errShort
	}
	if depth > maxDepth {
		return nil, nil, fmt.Errorf("msgpack nesting deeper than %d", maxDepth)
	}
	c := b[0]
	b = b[1:]
	switch {
	case c <= 0x7f:
		return int64(c), b, nil
	case c >= 0xe0:
		return int64(int8(c)), b, nil
	case c >= 0x80 && c <= 0x8f:
		return decodeMap(b, int(c&0x0f), depth)
	case c >= 0x90 && c <= 0x9f:
		return decodeArray(b, int(c&0x0f), depth)
	case c >= 0xa0 && c <= 0xbf:
		return str(b, int(c&0x1f))
	}
	switch c {
	case 0xc0:
		return nil, b, nil
	case 0xc2:
		return false, b, nil
	case 0xc3:
		return true, b, nil
	case 0xc4, 0xd9: // bin8, str8
		n, b, err := length(b, 1)
		if err != nil {
			return nil, nil, err
		}
		return str(b, n)
	case 0xc5, 0xda:
		n, b, err := length(b, 2)
		if err != nil {
			return nil, nil, err
		}
		return str(b, n)
	case 0xc6, 0xdb:
		n, b, err := length(b, 4)
		if err != nil {
			return nil, nil, err
		}
		return str(b, n)
	case 0xc7, 0xc8, 0xc9: // ext8/16/32
		size := map[byte]int{0xc7: 1, 0xc8: 2, 0xc9: 4}[c]
		n, b, err := length(b, size)
		if err != nil {
			return nil, nil, err
		}
		if len(b) < 1+n {
			return nil, nil, errShort
		}
		return ext{typ: int8(b[0]), data: b[1 : 1+n]}, b[1+n:], nil
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1/2/4/8/16
		n := 1 << (c - 0xd4)
		if len(b) < 1+n {
			return nil, nil, errShort
		}
		return ext{typ: int8(b[0]), data: b[1 : 1+n]}, b[1+n:], nil
	case 0xca:
		if len(b) < 4 {
			return nil, nil, errShort
		}
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b))), b[4:], nil
	case 0xcb:
		if len(b) < 8 {
			return nil, nil, errShort
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b)), b[8:], nil
	case 0xcc, 0xcd, 0xce, 0xcf:
		size := 1 << (c - 0xcc)
		if len(b) < size {
			return nil, nil, errShort
		}
		v := uintN(b, size)
		if v > math.MaxInt64 {
			return v, b[size:], nil
		}
		return int64(v), b[size:], nil
	case 0xd0:
		if len(b) < 1 {
			return nil, nil, errShort
		}
		return int64(int8(b[0])), b[1:], nil
	case 0xd1:
		if len(b) < 2 {
			return nil, nil, errShort
		}
		return int64(int16(binary.BigEndian.Uint16(b))), b[2:], nil
	case 0xd2:
		if len(b) < 4 {
			return nil, nil, errShort
		}
		return int64(int32(binary.BigEndian.Uint32(b))), b[4:], nil
	case 0xd3:
		if len(b) < 8 {
			return nil, nil, errShort
		}
		return int64(binary.BigEndian.Uint64(b)), b[8:], nil
	case 0xdc, 0xdd:
		n, b, err := length(b, map[byte]int{0xdc: 2, 0xdd: 4}[c])
		if err != nil {
			return nil, nil, err
		}
		return decodeArray(b, n, depth)
	case 0xde, 0xdf:
		n, b, err := length(b, map[byte]int{0xde: 2, 0xdf: 4}[c])
		if err != nil {
			return nil, nil, err
		}
		return decodeMap(b, n, depth)
	}
	return nil, nil, fmt.Errorf("msgpack: unknown type byte 0x%02x", c)
}

func uintN(b []byte, size int) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.BigEndian.Uint16(b))
	case 4:
		return uint64(binary.BigEndian.Uint32(b))
	}
	return binary.BigEndian.Uint64(b)
}

func length(b []byte, size int) (int, []byte, error) {
	if len(b) < size {
		return 0, nil, errShort
	}
	n := uintN(b, size)
	if n > math.MaxInt32 {
		return 0, nil, fmt.Errorf("msgpack length %d is too large", n)
	}
	return int(n), b[size:], nil
}

func str(b []byte, n int) (any, []byte, error) {
	if len(b) < n {
		return nil, nil, errShort
	}
	return string(b[:n]), b[n:], nil
}

func decodeArray(b []byte, n, depth int) (any, []byte, error) {
	// Every element takes at least one byte: a count beyond the bytes at
	// hand is either incomplete or a lie, and allocates nothing.
	out := make([]any, 0, min(n, len(b)))
	for range n {
		v, rest, err := decode(b, depth+1)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, v)
		b = rest
	}
	return out, b, nil
}

func decodeMap(b []byte, n, depth int) (any, []byte, error) {
	out := make(map[string]any, min(n, len(b)/2))
	for range n {
		k, rest, err := decode(b, depth+1)
		if err != nil {
			return nil, nil, err
		}
		v, rest, err := decode(rest, depth+1)
		if err != nil {
			return nil, nil, err
		}
		out[keyString(k)] = v
		b = rest
	}
	return out, b, nil
}

func keyString(k any) string {
	switch k := k.(type) {
	case string:
		return k
	case int64:
		return strconv.FormatInt(k, 10)
	case nil:
		return "null"
	}
	return fmt.Sprint(k)
}
