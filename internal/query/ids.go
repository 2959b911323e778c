package query

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"

	"github.com/lore-dev/lore/internal/event"
)

// normalizeID checks a trace_id, span_id or parent_span_id term. An exact
// value that is a hex id is rendered canonically (32 or 16 lower-case hex
// digits); any other exact value is kept and hashed at compile time exactly
// as ingest hashes it. A wildcard must be a hex prefix followed by '*'.
func normalizeID(f *Field, typ ColumnType) error {
	switch f.Op {
	case OpEq:
		if strings.TrimSpace(f.Value) == "" {
			return nil
		}
		if typ == ColTraceID {
			if id, exact := event.ParseTraceID(f.Value); exact {
				f.Value = hex.EncodeToString(id[:])
			}
		} else if id, exact := event.ParseSpanID(f.Value); exact {
			f.Value = hex.EncodeToString(id[:])
		}
	case OpGlob:
		digits := 16
		if typ == ColTraceID {
			digits = 32
		}
		prefix := ""
		if len(f.Pieces) == 2 && f.Pieces[1] == "" {
			prefix = strings.ToLower(strings.ReplaceAll(f.Pieces[0], "-", ""))
		}
		if prefix == "" || len(prefix) > digits || !isHex(prefix) {
			return &Error{Msg: fmt.Sprintf(`%s accepts an id or a hex prefix followed by "*", got %q`, f.Name, strings.Join(f.Pieces, "*"))}
		}
		f.Pieces = []string{prefix, ""}
	}
	return nil
}

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
			return false
		}
	}
	return true
}

// prefixRange returns the smallest and largest 64-bit values whose 16-digit
// hex rendering starts with prefix (at most 16 hex digits).
func prefixRange(prefix string) (lo, hi uint64) {
	if prefix == "" {
		return 0, ^uint64(0)
	}
	v, err := strconv.ParseUint(prefix, 16, 64)
	if err != nil {
		return 0, ^uint64(0) // unreachable: checked by normalizeID
	}
	shift := uint(4 * (16 - len(prefix)))
	if shift == 64 {
		return 0, ^uint64(0)
	}
	lo = v << shift
	return lo, lo | (uint64(1)<<shift - 1)
}
