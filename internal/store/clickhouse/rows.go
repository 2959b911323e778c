package clickhouse

import (
	"bufio"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// rows reads an answer in TabSeparatedWithNamesAndTypes: a line of
// names, a line of types, then a line a row, fields escaped (\t, \n, \\,
// …), NULL as \N, arrays and tuples in ClickHouse's quoted text form.
type rows struct {
	br    *bufio.Reader
	names []string
	types []colType
	cur   []any
	err   error
}

func newRows(r io.Reader) (*rows, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	names, err := readLine(br)
	if err != nil {
		if err == io.EOF {
			return nil, errors.New("clickhouse: an empty answer (no names line)")
		}
		return nil, fmt.Errorf("clickhouse: read the answer: %w", err)
	}
	types, err := readLine(br)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read the answer's types: %w", err)
	}
	rs := &rows{br: br}
	for _, f := range strings.Split(names, "\t") {
		n, err := unescape(f)
		if err != nil {
			return nil, err
		}
		rs.names = append(rs.names, n)
	}
	for _, f := range strings.Split(types, "\t") {
		t, err := unescape(f)
		if err != nil {
			return nil, err
		}
		ct, err := parseType(t)
		if err != nil {
			return nil, err
		}
		rs.types = append(rs.types, ct)
	}
	if len(rs.types) != len(rs.names) {
		return nil, fmt.Errorf("clickhouse: %d names but %d types", len(rs.names), len(rs.types))
	}
	return rs, nil
}

// readLine reads one line without its '\n' (raw newlines only end rows:
// the format escapes those in values).
func readLine(br *bufio.Reader) (string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		if err == io.EOF && line != "" {
			return line, nil
		}
		return "", err
	}
	return line[:len(line)-1], nil
}

// next decodes the next row; false at the end or on an error (r.err).
func (r *rows) next() bool {
	if r.err != nil {
		return false
	}
	line, err := readLine(r.br)
	if err == io.EOF {
		return false
	}
	if err != nil {
		r.err = fmt.Errorf("clickhouse: read a row: %w", err)
		return false
	}
	fields := strings.Split(line, "\t")
	if len(fields) != len(r.types) {
		// An exception written after the answer had begun: the server's
		// text, not a row.
		if strings.HasPrefix(line, "Code: ") {
			r.err = serverError(200, []byte(line))
		} else {
			r.err = fmt.Errorf("clickhouse: a row of %d fields, want %d: %.200q", len(fields), len(r.types), line)
		}
		return false
	}
	if r.cur == nil {
		r.cur = make([]any, len(fields))
	}
	for i, f := range fields {
		v, err := r.types[i].decodeTSV(f)
		if err != nil {
			r.err = fmt.Errorf("clickhouse: column %s (%s): %w", r.names[i], r.types[i].name, err)
			return false
		}
		r.cur[i] = v
	}
	return true
}

// Scan copies the current row into dest, as database/sql's Rows.Scan
// does: *int64, *int, *uint64, *float64, *string, *bool, *[]any,
// *[]string, *any and any sql.Scanner (sql.NullInt64, sql.NullString, …).
// ColumnNames are the answer's column names.
func (r *rows) ColumnNames() []string { return r.names }

// TypeNames are the answer's column types, as ClickHouse names them.
func (r *rows) TypeNames() []string {
	out := make([]string, len(r.types))
	for i, t := range r.types {
		out[i] = t.name
	}
	return out
}

func (r *rows) Scan(dest ...any) error {
	if len(dest) != len(r.cur) {
		return fmt.Errorf("clickhouse: scan %d columns into %d values", len(r.cur), len(dest))
	}
	for i, d := range dest {
		if err := assign(d, r.cur[i]); err != nil {
			return fmt.Errorf("clickhouse: column %d (%s %s): %w", i+1, r.names[i], r.types[i].name, err)
		}
	}
	return nil
}

// assign stores the decoded value v (nil, int64, uint64, float64,
// string, []any) in dest.
func assign(dest, v any) error {
	switch d := dest.(type) {
	case *any:
		*d = v
		return nil
	case sql.Scanner:
		if u, ok := v.(uint64); ok {
			if u > math.MaxInt64 {
				return d.Scan(strconv.FormatUint(u, 10))
			}
			v = int64(u)
		}
		if _, ok := v.([]any); ok {
			return fmt.Errorf("an array into %T", dest)
		}
		return d.Scan(driver.Value(v))
	}
	if v == nil {
		return fmt.Errorf("NULL into %T", dest)
	}
	switch d := dest.(type) {
	case *int64:
		n, err := toInt64(v)
		*d = n
		return err
	case *int:
		n, err := toInt64(v)
		*d = int(n)
		return err
	case *int32:
		n, err := toInt64(v)
		if err == nil && (n < math.MinInt32 || n > math.MaxInt32) {
			err = fmt.Errorf("%d overflows int32", n)
		}
		*d = int32(n)
		return err
	case *uint64:
		switch x := v.(type) {
		case uint64:
			*d = x
			return nil
		case int64:
			if x < 0 {
				return fmt.Errorf("%d into *uint64", x)
			}
			*d = uint64(x)
			return nil
		}
	case *float64:
		switch x := v.(type) {
		case float64:
			*d = x
		case int64:
			*d = float64(x)
		case uint64:
			*d = float64(x)
		default:
			return fmt.Errorf("%T into *float64", v)
		}
		return nil
	case *string:
		switch x := v.(type) {
		case string:
			*d = x
		case int64:
			*d = strconv.FormatInt(x, 10)
		case uint64:
			*d = strconv.FormatUint(x, 10)
		case float64:
			*d = strconv.FormatFloat(x, 'g', -1, 64)
		default:
			return fmt.Errorf("%T into *string", v)
		}
		return nil
	case *bool:
		switch x := v.(type) {
		case int64:
			*d = x != 0
			return nil
		case uint64:
			*d = x != 0
			return nil
		case string:
			b, err := strconv.ParseBool(x)
			*d = b
			return err
		}
	case *[]any:
		if x, ok := v.([]any); ok {
			*d = x
			return nil
		}
	case *[]string:
		if x, ok := v.([]any); ok {
			out := make([]string, len(x))
			for i, e := range x {
				s, ok := e.(string)
				if !ok {
					return fmt.Errorf("element %d is %T, not a string", i, e)
				}
				out[i] = s
			}
			*d = out
			return nil
		}
	}
	return fmt.Errorf("%T into %T", v, dest)
}

func toInt64(v any) (int64, error) {
	switch x := v.(type) {
	case int64:
		return x, nil
	case uint64:
		if x > math.MaxInt64 {
			return 0, fmt.Errorf("%d overflows int64", x)
		}
		return int64(x), nil
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > 1<<62 {
			return 0, fmt.Errorf("%v is not an integer", x)
		}
		return int64(x), nil
	case string:
		return strconv.ParseInt(x, 10, 64)
	}
	return 0, fmt.Errorf("%T into *int64", v)
}

// unescape undoes the TabSeparated escaping of a field.
func unescape(s string) (string, error) {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		i++
		if i == len(s) {
			return "", fmt.Errorf("a field ends in a lone backslash: %.100q", s)
		}
		b.WriteByte(unescapeByte(s[i]))
	}
	return b.String(), nil
}

// unescapeByte is the byte an escape \c stands for: \b \f \r \n \t \0
// \a \v and any other character as itself (\\, \', \").
func unescapeByte(c byte) byte {
	switch c {
	case 'b':
		return '\b'
	case 'f':
		return '\f'
	case 'r':
		return '\r'
	case 'n':
		return '\n'
	case 't':
		return '\t'
	case '0':
		return 0
	case 'a':
		return '\a'
	case 'v':
		return '\v'
	}
	return c
}
