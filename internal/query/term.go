package query

import (
	"math"
	"strconv"
	"strings"
	"time"
)

// newTerm builds the node for field:value. pieces are the literal parts of
// the value between '*' wildcards (one piece: an exact value).
func newTerm(p *parser, typed string, op Op, pieces []string, at int) (Node, error) {
	name, attr, reserved := resolveField(typed)
	if reserved {
		return nil, p.errAt(at, "field %s cannot be searched (the time range and project scope the search)", name)
	}
	if len(pieces) > 1 {
		op = OpGlob
		if allEmpty(pieces) {
			op = OpExists
		}
	}
	if typ, _ := columnType(name); op == OpGlob || !attr && typ == ColMessage {
		if err := p.checkNeedle(at, pieces); err != nil {
			return nil, err
		}
	}
	f := &Field{Name: name, Attr: attr, Op: op}
	switch op {
	case OpEq:
		f.Value = pieces[0]
	case OpGlob:
		f.Pieces = pieces
	}
	if attr {
		return f, nil
	}
	typ, _ := columnType(name)
	switch typ {
	case ColMessage:
		switch op {
		case OpEq:
			return &Text{Pieces: []string{f.Value}}, nil
		case OpGlob:
			return &Text{Pieces: f.Pieces}, nil
		}
	case ColLower:
		if name == "level" {
			f.Value = normalizeLevel(f.Value)
		} else {
			f.Value = strings.ToLower(f.Value)
		}
		for i := range f.Pieces {
			f.Pieces[i] = strings.ToLower(f.Pieces[i])
		}
	case ColUpper:
		f.Value = strings.ToUpper(f.Value)
		for i := range f.Pieces {
			f.Pieces[i] = strings.ToUpper(f.Pieces[i])
		}
	case ColInt, ColFloat:
		if op == OpEq {
			v, err := parseNumber(name, typ, f.Value)
			if err != nil {
				return nil, p.errAt(at, "%s", err)
			}
			f.Num, f.Value = v, formatNumber(v)
		}
	case ColTraceID, ColSpanID:
		if err := normalizeID(f, typ); err != nil {
			return nil, p.errAt(at, "%s", err)
		}
	}
	if f.Op == OpGlob {
		// again as it is searched for: a change of case may lengthen it
		if err := p.checkNeedle(at, f.Pieces); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// newCompare builds the node for field:>value and friends.
func newCompare(p *parser, typed string, op Op, value string, at, numAt int) (Node, error) {
	name, attr, reserved := resolveField(typed)
	if reserved {
		return nil, p.errAt(at, "field %s cannot be searched (the time range and project scope the search)", name)
	}
	typ := ColFloat
	if !attr {
		typ, _ = columnType(name)
		if typ != ColInt && typ != ColFloat {
			return nil, p.errAt(at, "cannot compare %s with %q", name, op.String())
		}
	}
	v, err := parseNumber(name, typ, value)
	if err != nil {
		return nil, p.errAt(numAt, "%s", err)
	}
	return &Field{Name: name, Attr: attr, Op: op, Value: formatNumber(v), Num: v}, nil
}

func allEmpty(pieces []string) bool {
	for _, s := range pieces {
		if s != "" {
			return false
		}
	}
	return true
}

// parseNumber reads a number for a numeric column or attribute. For
// duration_ms it also accepts durations with a unit: 250ms, 1.5s, 2m, 1h.
func parseNumber(name string, typ ColumnType, s string) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil && name == "duration_ms" {
		var d time.Duration
		if d, err = parseDuration(s); err == nil {
			v = float64(d) / float64(time.Millisecond)
		}
	}
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		what := "a number"
		if name == "duration_ms" {
			what = "a duration (250, 250ms, 1.5s)"
		}
		return 0, &Error{Msg: name + " expects " + what + ", got " + strconv.Quote(s)}
	}
	return v, nil
}

// formatNumber renders v so that parseNumber reads it back exactly.
func formatNumber(v float64) string {
	if v == 0 {
		return "0" // also for -0
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// numberArg is the bound argument for a number: an integer when it is one.
func numberArg(v float64) any {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return int64(v)
	}
	return v
}
