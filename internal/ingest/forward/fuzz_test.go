package forward

import (
	"testing"
	"time"

	"github.com/tinylib/msgp/msgp"
)

// FuzzDecodeMessage feeds MessagePack bytes through the whole decoding:
// no input panics or allocates without bound, and every entry becomes an
// event or an error.
func FuzzDecodeMessage(f *testing.F) {
	b := msgp.AppendArrayHeader(nil, 3)
	b = msgp.AppendString(b, "tag")
	b = msgp.AppendInt64(b, 1796378400)
	b, _ = msgp.AppendIntf(b, map[string]any{"log": "x", "n": 1.5, "a": []any{1, "b", nil, true}})
	f.Add(b)
	b = msgp.AppendArrayHeader(nil, 2)
	b = msgp.AppendString(b, "tag")
	b = msgp.AppendArrayHeader(b, 1)
	b = entry(b, time.Unix(1796378400, 5), map[string]any{"message": "m", "level": "warn"})
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		for len(b) > 0 {
			v, rest, err := decode(b, 0)
			if err != nil {
				return
			}
			b = rest
			m, err := DecodeMessage(v, 1<<16)
			if err != nil {
				continue
			}
			evs, errs := Events(&m, 1, testNow)
			if len(evs)+len(errs) != len(m.Entries) && len(errs) != 1 {
				t.Fatalf("%d entries, %d events, %d errors", len(m.Entries), len(evs), len(errs))
			}
		}
	})
}
