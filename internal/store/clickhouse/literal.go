package clickhouse

import (
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
)

// interpolate replaces each '?' of sql outside quoted strings and
// identifiers with the literal of the next argument. Quoted text is read
// as ClickHouse reads it (a backslash escapes the next character, a
// doubled quote is one), so a '?' ClickHouse sees as data is never
// replaced. Placeholders and arguments must agree in number.
func interpolate(sql string, args []any) (string, error) {
	var b strings.Builder
	b.Grow(len(sql) + 16*len(args))
	n := 0
	for i := 0; i < len(sql); i++ {
		c := sql[i]
		switch c {
		case '?':
			if n >= len(args) {
				return "", fmt.Errorf("more placeholders than the %d arguments", len(args))
			}
			if err := appendLiteral(&b, args[n]); err != nil {
				return "", fmt.Errorf("argument %d: %w", n+1, err)
			}
			n++
			continue
		case '\'', '"', '`':
			j := i + 1
			for ; j < len(sql); j++ {
				if sql[j] == '\\' {
					j++
					continue
				}
				if sql[j] == c {
					if j+1 < len(sql) && sql[j+1] == c {
						j++
						continue
					}
					break
				}
			}
			if j >= len(sql) {
				return "", fmt.Errorf("an unterminated %c quote at byte %d", c, i)
			}
			b.WriteString(sql[i : j+1])
			i = j
			continue
		}
		b.WriteByte(c)
	}
	if n != len(args) {
		return "", fmt.Errorf("%d placeholders but %d arguments", n, len(args))
	}
	return b.String(), nil
}

// appendLiteral writes v as a ClickHouse literal: strings quoted by the
// dialect (quotes and backslashes doubled), numbers in decimal, floats
// as Float64 (never an integer literal), lists as arrays.
func appendLiteral(b *strings.Builder, v any) error {
	d := sqlq.ClickHouse{}
	switch x := v.(type) {
	case nil:
		b.WriteString("NULL")
	case string:
		b.WriteString(d.Str(x))
	case []byte:
		b.WriteString(d.Str(string(x)))
	case bool:
		if x {
			b.WriteString("1")
		} else {
			b.WriteString("0")
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	case int8:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int16:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int32:
		b.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	case uint:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint8:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint16:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint32:
		b.WriteString(strconv.FormatUint(uint64(x), 10))
	case uint64:
		b.WriteString(strconv.FormatUint(x, 10))
	case float32:
		appendFloat(b, float64(x))
	case float64:
		appendFloat(b, x)
	case *big.Int:
		if x == nil {
			b.WriteString("NULL")
			break
		}
		// Beyond 64 bits as a 128-bit integer (toInt128 is not in 18.16,
		// which has no such type: such a value is refused there).
		if x.IsInt64() {
			b.WriteString(x.String())
		} else if x.IsUint64() {
			b.WriteString(x.String())
		} else {
			b.WriteString("toInt128(" + d.Str(x.String()) + ")")
		}
	case time.Time:
		// Microseconds since the epoch, as the events table keeps time.
		b.WriteString(strconv.FormatInt(x.UnixMicro(), 10))
	case []string:
		if len(x) == 0 {
			b.WriteString("CAST([] AS Array(String))")
			break
		}
		b.WriteByte('[')
		for i, s := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(d.Str(s))
		}
		b.WriteByte(']')
	case []int64:
		if len(x) == 0 {
			b.WriteString("CAST([] AS Array(Int64))")
			break
		}
		b.WriteByte('[')
		for i, n := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(strconv.FormatInt(n, 10))
		}
		b.WriteByte(']')
	case []any:
		b.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				b.WriteString(", ")
			}
			if err := appendLiteral(b, e); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		return fmt.Errorf("no ClickHouse literal for a %T (%v)", v, v)
	}
	return nil
}

// appendFloat writes a Float64 literal: nan and inf as ClickHouse spells
// them, a whole number with a ".0" so it is not an integer.
func appendFloat(b *strings.Builder, f float64) {
	switch {
	case math.IsNaN(f):
		b.WriteString("nan")
	case math.IsInf(f, 1):
		b.WriteString("inf")
	case math.IsInf(f, -1):
		b.WriteString("-inf")
	default:
		s := strconv.FormatFloat(f, 'g', -1, 64)
		b.WriteString(s)
		if !strings.ContainsAny(s, ".e") {
			b.WriteString(".0")
		}
	}
}
