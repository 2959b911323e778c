package sqlview

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/sqlq"
)

// On ClickHouse (issue 12) the same text runs over the same view: it is
// read and checked by DuckDB's parser (an in-memory DuckDB with no data,
// so that exactly what passes on DuckDB passes here), and the checked
// tree is written out in ClickHouse's SQL, with every table named events
// replaced by the view's rows of the project and range. The writer knows
// a part of the language: SELECT with WHERE, GROUP BY, HAVING, ORDER BY,
// LIMIT, DISTINCT, WITH, UNION ALL, cross and equi-joins, subqueries in
// FROM, and the common functions (chFunctions); anything else is
// refused with errs.Unsupported (a 501) naming it. On releases without
// DateTime64 (18.16) ts and received_at are whole seconds.

// chViewSQL is the events view on ClickHouse: its three placeholders are
// the project and the time range. The inner query renames the table's
// columns, as ClickHouse reads an alias everywhere in its SELECT (ts AS
// ts over an expression of ts is a cycle).
func chViewSQL() string {
	d := sqlq.ClickHouse{}
	cols := []string{
		"toDateTime(intDiv(lore_ts, 1000000), 'UTC') AS ts",
		"toDateTime(intDiv(lore_received_at, 1000000), 'UTC') AS received_at",
		"kind", "level", "service", "env", "release", "host",
		"if(trace_hi = 0 AND trace_lo = 0, '', " + d.TraceHex("trace_hi", "trace_lo") + ") AS trace_id",
		"if(span_id = 0, '', " + d.HexID("span_id") + ") AS span_id",
		"if(parent_span_id = 0, '', " + d.HexID("parent_span_id") + ") AS parent_span_id",
		"user_id", "anonymous_id", "session_id", "request_id", "name", "message", "http_method", "endpoint",
		"http_status", "duration_ms", "error_type", "error_code", "fingerprint", "retry_attempt", "attr_keys", "attr_values",
	}
	return "(SELECT " + strings.Join(cols, ", ") + " FROM (SELECT *, ts AS lore_ts, received_at AS lore_received_at FROM events" +
		" WHERE project_id = ? AND ts >= ? AND ts < ?))"
}

// runClickHouse is Run on a ClickHouse engine.
func (q Query) runClickHouse(ctx context.Context, ex sqlq.Executor) (Result, error) {
	parser, err := newParser()
	if err != nil {
		return Result{}, err
	}
	defer parser.Close()
	canonical, err := Check(ctx, parser, q.SQL)
	if err != nil {
		return Result{}, invalid(err)
	}
	_, tree, err := parse(ctx, parser, canonical)
	if err != nil {
		return Result{}, invalid(err)
	}
	var v map[string]any
	dec := json.NewDecoder(strings.NewReader(string(tree)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return Result{}, fmt.Errorf("read the parsed SQL: %w", err)
	}
	w := &chWriter{}
	text, err := w.node(v["node"])
	if err != nil {
		return Result{}, err
	}
	// The view is placed wherever events is read; its arguments follow in
	// that order.
	args := make([]any, 0, 3*w.views+1)
	for range w.views {
		args = append(args, q.ProjectID, q.From, q.To)
	}
	args = append(args, int64(MaxRows+1))
	cq := sqlq.Query{Name: "sqlview", SQL: "SELECT * FROM (\n" + text + "\n) AS lore_sql LIMIT ?", Args: args,
		Scope: sqlq.Scope{ProjectID: q.ProjectID, From: q.From, To: q.To}}
	return collect(ctx, ex, cq)
}

// chColumns are the answer's columns as ClickHouse names and types them
// (internal/store/clickhouse's rows).
type chColumns interface {
	ColumnNames() []string
	TypeNames() []string
}

// chTypeOf maps a ClickHouse type to an answer's column type.
func chTypeOf(t string) pipes.Type {
	for _, wrap := range []string{"Nullable(", "LowCardinality("} {
		for strings.HasPrefix(t, wrap) {
			t = strings.TrimSuffix(strings.TrimPrefix(t, wrap), ")")
		}
	}
	switch {
	case strings.HasPrefix(t, "DateTime") || t == "Date":
		return pipes.Time
	case t == "Bool":
		return pipes.Bool
	case strings.HasPrefix(t, "Int") || strings.HasPrefix(t, "UInt") || strings.HasPrefix(t, "Float") || strings.HasPrefix(t, "Decimal"):
		return pipes.Number
	case strings.HasPrefix(t, "Array") || strings.HasPrefix(t, "Tuple") || strings.HasPrefix(t, "Map"):
		return JSON
	}
	return pipes.String
}

// chTime reads a DateTime or Date value (UTC) as microseconds.
func chTime(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	for _, layout := range []string{"2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMicro()
		}
	}
	return v
}

// parser is an in-memory DuckDB that reads and checks a text (Check)
// for another engine. It holds no data.
type parser struct{ db *sql.DB }

func newParser() (*parser, error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, fmt.Errorf("open DuckDB to read the SQL: %w", err)
	}
	db.SetMaxOpenConns(1)
	return &parser{db}, nil
}

func (p *parser) Close() error { return p.db.Close() }

func (p *parser) Dialect() sqlq.Dialect { return sqlq.DuckDB{} }

func (p *parser) Run(ctx context.Context, q sqlq.Query, row func(sqlq.Scanner) error) error {
	rows, err := p.db.QueryContext(ctx, q.SQL, q.Args...)
	if err != nil {
		return fmt.Errorf("query %s: %w", q.Name, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := row(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// chWriter writes a checked DuckDB tree in ClickHouse's SQL.
type chWriter struct {
	views int // how many times the view was placed
	ctes  []string
}

// unsupportedCH is the 501 of what the writer cannot say in ClickHouse.
func unsupportedCH(format string, args ...any) error {
	return errs.New(errs.Unsupported, "read-only SQL on ClickHouse: "+format+" is not available there yet (docs/scaling.md lists what is)", args...)
}

func str(m map[string]any, k string) string { s, _ := m[k].(string); return s }

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func list(v any) []any { l, _ := v.([]any); return l }

// node writes a query node.
func (w *chWriter) node(v any) (string, error) {
	n := obj(v)
	var with []string
	if m := obj(n["cte_map"]); m != nil {
		for _, e := range list(m["map"]) {
			entry := obj(e)
			name := str(entry, "key")
			body, err := w.node(obj(obj(entry["value"])["query"])["node"])
			if err != nil {
				return "", err
			}
			with = append(with, chIdent(name)+" AS ("+body+")")
			w.ctes = append(w.ctes, strings.ToLower(name))
		}
	}
	var out string
	var err error
	switch str(n, "type") {
	case "SELECT_NODE":
		out, err = w.selectNode(n)
	case "SET_OPERATION_NODE":
		out, err = w.setOp(n)
	default:
		return "", unsupportedCH("a query of kind %s", str(n, "type"))
	}
	if err != nil {
		return "", err
	}
	if len(with) > 0 {
		out = "WITH " + strings.Join(with, ", ") + " " + out
	}
	return out, nil
}

func (w *chWriter) setOp(n map[string]any) (string, error) {
	if str(n, "setop_type") != "UNION" || n["setop_all"] != true {
		return "", unsupportedCH("%s (only UNION ALL)", strings.ReplaceAll(str(n, "setop_type"), "_", " "))
	}
	kids := list(n["children"])
	if len(kids) == 0 {
		kids = []any{n["left"], n["right"]}
	}
	parts := make([]string, len(kids))
	for i, k := range kids {
		s, err := w.node(k)
		if err != nil {
			return "", err
		}
		parts[i] = "SELECT * FROM (" + s + ")"
	}
	return strings.Join(parts, " UNION ALL "), nil
}

func (w *chWriter) selectNode(n map[string]any) (string, error) {
	for _, k := range []string{"qualify", "sample"} {
		if n[k] != nil {
			return "", unsupportedCH("%s", strings.ToUpper(k))
		}
	}
	if h := str(n, "aggregate_handling"); h != "" && h != "STANDARD_HANDLING" {
		return "", unsupportedCH("GROUP BY ALL")
	}
	sel := list(n["select_list"])
	items := make([]string, len(sel))
	for i, e := range sel {
		s, err := w.aliased(e)
		if err != nil {
			return "", err
		}
		items[i] = s
	}
	var b strings.Builder
	b.WriteString("SELECT ")
	var orders, limit string
	for _, m := range list(n["modifiers"]) {
		mod := obj(m)
		switch str(mod, "type") {
		case "DISTINCT_MODIFIER":
			if len(list(mod["distinct_on_targets"])) > 0 {
				return "", unsupportedCH("DISTINCT ON")
			}
			b.WriteString("DISTINCT ")
		case "ORDER_MODIFIER":
			var os []string
			for _, o := range list(mod["orders"]) {
				s, err := w.order(obj(o), sel)
				if err != nil {
					return "", err
				}
				os = append(os, s)
			}
			orders = " ORDER BY " + strings.Join(os, ", ")
		case "LIMIT_MODIFIER":
			for _, part := range []struct{ key, word string }{{"limit", " LIMIT "}, {"offset", " OFFSET "}} {
				if mod[part.key] == nil {
					continue
				}
				s, err := w.expr(mod[part.key])
				if err != nil {
					return "", err
				}
				limit += part.word + s
			}
			if strings.Contains(limit, "OFFSET") && !strings.Contains(limit, "LIMIT") {
				return "", unsupportedCH("OFFSET without LIMIT")
			}
			if strings.Contains(limit, "OFFSET") { // LIMIT offset, n: every release reads it
				parts := strings.SplitN(strings.TrimPrefix(limit, " LIMIT "), " OFFSET ", 2)
				limit = " LIMIT " + parts[1] + ", " + parts[0]
			}
		default:
			return "", unsupportedCH("%s", strings.ToLower(strings.ReplaceAll(str(mod, "type"), "_", " ")))
		}
	}
	b.WriteString(strings.Join(items, ", "))
	if from := obj(n["from_table"]); from != nil && str(from, "type") != "EMPTY" {
		s, err := w.table(from)
		if err != nil {
			return "", err
		}
		b.WriteString(" FROM " + s)
	}
	if n["where_clause"] != nil {
		s, err := w.expr(n["where_clause"])
		if err != nil {
			return "", err
		}
		b.WriteString(" WHERE " + s)
	}
	if groups := list(n["group_expressions"]); len(groups) > 0 {
		gs := make([]string, len(groups))
		for i, g := range groups {
			s, err := w.positional(obj(g), sel)
			if err != nil {
				return "", err
			}
			gs[i] = s
		}
		b.WriteString(" GROUP BY " + strings.Join(gs, ", "))
	}
	if n["having"] != nil {
		s, err := w.expr(n["having"])
		if err != nil {
			return "", err
		}
		b.WriteString(" HAVING " + s)
	}
	b.WriteString(orders + limit)
	return b.String(), nil
}

// positional writes a GROUP BY or ORDER BY item: a constant integer names
// the select list's item (its alias when it has one).
func (w *chWriter) positional(e map[string]any, sel []any) (string, error) {
	if str(e, "class") == "CONSTANT" {
		if i, err := strconv.Atoi(fmt.Sprint(obj(e["value"])["value"])); err == nil && i >= 1 && i <= len(sel) {
			item := obj(sel[i-1])
			if a := str(item, "alias"); a != "" {
				return chIdent(a), nil
			}
			return w.expr(item)
		}
	}
	return w.expr(e)
}

func (w *chWriter) order(o map[string]any, sel []any) (string, error) {
	s, err := w.positional(obj(o["expression"]), sel)
	if err != nil {
		return "", err
	}
	switch str(o, "type") {
	case "DESCENDING", "ORDER_DESCENDING":
		s += " DESC"
	default:
		s += " ASC"
	}
	// DuckDB puts NULLs last in both directions unless told otherwise.
	if strings.Contains(str(o, "null_order"), "FIRST") {
		return s + " NULLS FIRST", nil
	}
	return s + " NULLS LAST", nil
}

// table writes a FROM item.
func (w *chWriter) table(t map[string]any) (string, error) {
	alias := str(t, "alias")
	as := func(def string) string {
		if alias != "" {
			return " AS " + chIdent(alias)
		}
		if def != "" {
			return " AS " + chIdent(def)
		}
		return ""
	}
	switch str(t, "type") {
	case "BASE_TABLE":
		name := strings.ToLower(str(t, "table_name"))
		for _, c := range w.ctes {
			if c == name {
				return chIdent(str(t, "table_name")) + as(""), nil
			}
		}
		w.views++
		return chViewSQL() + as("events"), nil
	case "SUBQUERY":
		s, err := w.node(obj(obj(t["subquery"])["node"]))
		if err != nil {
			return "", err
		}
		return "(" + s + ")" + as(""), nil
	case "JOIN":
		left, err := w.table(obj(t["left"]))
		if err != nil {
			return "", err
		}
		right, err := w.table(obj(t["right"]))
		if err != nil {
			return "", err
		}
		if str(t, "ref_type") == "CROSS" || (t["condition"] == nil && len(list(t["using_columns"])) == 0) {
			return left + " CROSS JOIN " + right, nil
		}
		kind := map[string]string{"INNER": "ALL INNER JOIN", "LEFT": "ALL LEFT JOIN"}[str(t, "join_type")]
		if kind == "" || str(t, "ref_type") != "REGULAR" {
			return "", unsupportedCH("a %s %s join", strings.ToLower(str(t, "ref_type")), strings.ToLower(str(t, "join_type")))
		}
		if cols := list(t["using_columns"]); len(cols) > 0 {
			names := make([]string, len(cols))
			for i, c := range cols {
				names[i] = chIdent(fmt.Sprint(c))
			}
			return left + " " + kind + " " + right + " USING (" + strings.Join(names, ", ") + ")", nil
		}
		cond, err := w.expr(t["condition"])
		if err != nil {
			return "", err
		}
		return left + " " + kind + " " + right + " ON " + cond, nil
	}
	return "", unsupportedCH("a table reference of kind %s", str(t, "type"))
}

// aliased writes a select list item with its alias.
func (w *chWriter) aliased(v any) (string, error) {
	s, err := w.expr(v)
	if err != nil {
		return "", err
	}
	if a := str(obj(v), "alias"); a != "" {
		s += " AS " + chIdent(a)
	}
	return s, nil
}

// chIdent is a name as it is when it is a plain lower-case word that is
// not a keyword the writer uses (the store's rewrite for 18.16 reads WITH
// names as words), else back-quoted.
func chIdent(s string) string {
	plain := s != "" && !chKeywords[strings.ToUpper(s)]
	for i, c := range s {
		if !(c == '_' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			plain = false
		}
	}
	if plain {
		return s
	}
	return sqlq.ClickHouse{}.Ident(s)
}

// chKeywords are the words a plain name may not be.
var chKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`SELECT FROM WHERE GROUP BY HAVING ORDER LIMIT OFFSET WITH AS ON USING JOIN INNER LEFT RIGHT
		FULL CROSS ALL ANY DISTINCT UNION AND OR NOT IN IS NULL BETWEEN CASE WHEN THEN ELSE END ASC DESC NULLS FIRST LAST
		LIKE ARRAY FINAL SAMPLE PREWHERE SETTINGS FORMAT GLOBAL SEMI ANTI ASOF INTERVAL TRUE FALSE OUTER`) {
		chKeywords[k] = true
	}
}

var chCompare = map[string]string{
	"COMPARE_EQUAL": "=", "COMPARE_NOTEQUAL": "!=", "COMPARE_LESSTHAN": "<", "COMPARE_GREATERTHAN": ">",
	"COMPARE_LESSTHANOREQUALTO": "<=", "COMPARE_GREATERTHANOREQUALTO": ">=",
}

// chOperators are DuckDB's operators (by function name) as ClickHouse
// writes them between their operands.
var chOperators = map[string]string{"+": "+", "-": "-", "*": "*", "/": "/", "%": "%", "~~": "LIKE", "!~~": "NOT LIKE"}

// chFunctions are the functions written by another name (or as they
// are) in ClickHouse.
var chFunctions = map[string]string{
	"count": "count", "sum": "sum", "avg": "avg", "mean": "avg", "min": "min", "max": "max",
	"any_value": "any", "arbitrary": "any", "arg_max": "argMax", "arg_min": "argMin", "argmax": "argMax", "argmin": "argMin",
	"max_by": "argMax", "min_by": "argMin", "approx_count_distinct": "uniq",
	"stddev_samp": "stddevSamp", "stddev": "stddevSamp", "stddev_pop": "stddevPop", "var_samp": "varSamp", "variance": "varSamp", "var_pop": "varPop",
	"abs": "abs", "floor": "floor", "ceil": "ceil", "ceiling": "ceil", "round": "round", "sqrt": "sqrt", "exp": "exp",
	"ln": "log", "log10": "log10", "log2": "log2", "pow": "pow", "power": "pow", "greatest": "greatest", "least": "least",
	"lower": "lowerUTF8", "lcase": "lowerUTF8", "upper": "upperUTF8", "ucase": "upperUTF8",
	"length": "lengthUTF8", "len": "lengthUTF8", "char_length": "lengthUTF8", "character_length": "lengthUTF8", "strlen": "length",
	"concat": "concat", "starts_with": "startsWith", "prefix": "startsWith", "ends_with": "endsWith", "suffix": "endsWith",
	"replace": "replaceAll", "reverse": "reverseUTF8", "trim": "trimBoth", "ltrim": "trimLeft", "rtrim": "trimRight",
	"substring": "substringUTF8", "substr": "substringUTF8", "coalesce": "coalesce", "ifnull": "ifNull", "nullif": "nullIf",
	"regexp_matches": "match", "md5": "MD5", "hour": "toHour", "minute": "toMinute", "second": "toSecond",
	"year": "toYear", "month": "toMonth", "day": "toDayOfMonth", "dayofmonth": "toDayOfMonth", "isodow": "toDayOfWeek",
	"array_length": "length", "len_list": "length",
}

// intervalUnits are the seconds of the units of INTERVAL n UNIT, which
// DuckDB's parser makes a call of to_UNITs(n).
var intervalUnits = map[string]int64{"to_seconds": 1, "to_minutes": 60, "to_hours": 3600, "to_days": 86400, "to_weeks": 7 * 86400}

// expr writes an expression.
func (w *chWriter) expr(v any) (string, error) {
	x := obj(v)
	if x == nil {
		return "", unsupportedCH("an empty expression")
	}
	kids := list(x["children"])
	typ := str(x, "type")
	switch str(x, "class") {
	case "COLUMN_REF":
		names := list(x["column_names"])
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = chIdent(fmt.Sprint(n))
		}
		return strings.Join(parts, "."), nil
	case "CONSTANT":
		return constant(obj(x["value"]))
	case "POSITIONAL_REFERENCE":
		return "", unsupportedCH("a positional reference (#n)")
	case "STAR":
		if r := str(x, "relation_name"); r != "" {
			return chIdent(r) + ".*", nil
		}
		if len(list(x["exclude_list"])) > 0 || len(list(x["replace_list"])) > 0 || x["columns"] == true {
			return "", unsupportedCH("* EXCLUDE, REPLACE or COLUMNS")
		}
		return "*", nil
	case "COMPARISON":
		op, ok := chCompare[typ]
		if !ok {
			return "", unsupportedCH("the comparison %s", typ)
		}
		return w.binary(x["left"], op, x["right"])
	case "CONJUNCTION":
		op := map[string]string{"CONJUNCTION_AND": " AND ", "CONJUNCTION_OR": " OR "}[typ]
		parts, err := w.exprs(kids)
		if err != nil {
			return "", err
		}
		return "(" + strings.Join(parts, op) + ")", nil
	case "OPERATOR":
		parts, err := w.exprs(kids)
		if err != nil {
			return "", err
		}
		switch typ {
		case "OPERATOR_NOT":
			return "(NOT " + parts[0] + ")", nil
		case "OPERATOR_IS_NULL":
			return "(" + parts[0] + " IS NULL)", nil
		case "OPERATOR_IS_NOT_NULL":
			return "(" + parts[0] + " IS NOT NULL)", nil
		case "COMPARE_IN", "COMPARE_NOT_IN":
			not := map[string]string{"COMPARE_IN": " IN ", "COMPARE_NOT_IN": " NOT IN "}[typ]
			return "(" + parts[0] + not + "(" + strings.Join(parts[1:], ", ") + "))", nil
		}
		return "", unsupportedCH("the operator %s", typ)
	case "BETWEEN":
		parts, err := w.exprs([]any{x["input"], x["lower"], x["upper"]})
		if err != nil {
			return "", err
		}
		return "(" + parts[0] + " BETWEEN " + parts[1] + " AND " + parts[2] + ")", nil
	case "CASE":
		var b strings.Builder
		b.WriteString("CASE")
		for _, c := range list(x["case_checks"]) {
			parts, err := w.exprs([]any{obj(c)["when_expr"], obj(c)["then_expr"]})
			if err != nil {
				return "", err
			}
			b.WriteString(" WHEN " + parts[0] + " THEN " + parts[1])
		}
		if x["else_expr"] != nil {
			s, err := w.expr(x["else_expr"])
			if err != nil {
				return "", err
			}
			b.WriteString(" ELSE " + s)
		}
		return b.String() + " END", nil
	case "CAST":
		return w.cast(x)
	case "FUNCTION":
		return w.function(x, kids)
	}
	return "", unsupportedCH("%s", strings.ToLower(strings.ReplaceAll(str(x, "class"), "_", " ")))
}

func (w *chWriter) exprs(vs []any) ([]string, error) {
	out := make([]string, len(vs))
	for i, v := range vs {
		s, err := w.expr(v)
		if err != nil {
			return nil, err
		}
		out[i] = s
	}
	return out, nil
}

func (w *chWriter) binary(l any, op string, r any) (string, error) {
	parts, err := w.exprs([]any{l, r})
	if err != nil {
		return "", err
	}
	return "(" + parts[0] + " " + op + " " + parts[1] + ")", nil
}

// constant writes a literal.
func constant(val map[string]any) (string, error) {
	if null, _ := val["is_null"].(bool); null {
		return "NULL", nil
	}
	t := obj(val["type"])
	v := val["value"]
	switch id := str(t, "id"); id {
	case "VARCHAR":
		return sqlq.ClickHouse{}.Str(fmt.Sprint(v)), nil
	case "BOOLEAN":
		if v == true {
			return "1", nil
		}
		return "0", nil
	case "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "DOUBLE", "FLOAT":
		n, ok := v.(json.Number)
		if !ok {
			return "", unsupportedCH("the constant %v", v)
		}
		return string(n), nil
	case "DECIMAL":
		scale := 0
		if info := obj(t["type_info"]); info != nil {
			scale, _ = strconv.Atoi(fmt.Sprint(info["scale"]))
		}
		r, ok := new(big.Rat).SetString(fmt.Sprint(v))
		if !ok {
			return "", unsupportedCH("the constant %v", v)
		}
		r.Quo(r, new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(scale)), nil)))
		return r.FloatString(scale), nil
	case "INTERVAL":
		iv := obj(v)
		months, _ := strconv.ParseInt(fmt.Sprint(iv["months"]), 10, 64)
		days, _ := strconv.ParseInt(fmt.Sprint(iv["days"]), 10, 64)
		micros, _ := strconv.ParseInt(fmt.Sprint(iv["micros"]), 10, 64)
		if months != 0 || micros%1_000_000 != 0 {
			return "", unsupportedCH("an interval of months or of fractions of a second")
		}
		return strconv.FormatInt(days*86400+micros/1_000_000, 10), nil
	default:
		return "", unsupportedCH("a constant of type %s", id)
	}
}

// cast writes a CAST (TRY_CAST: the …OrNull conversions).
func (w *chWriter) cast(x map[string]any) (string, error) {
	id := str(obj(x["cast_type"]), "id")
	try, _ := x["try_cast"].(bool)
	child := obj(x["child"])
	if c, ok := constString(child); ok && id == "BOOLEAN" && str(child, "class") == "CONSTANT" {
		switch strings.ToLower(c) {
		case "t", "true":
			return "1", nil
		case "f", "false":
			return "0", nil
		}
	}
	if (id == "TIMESTAMP" || id == "TIMESTAMP WITH TIME ZONE" || id == "DATE") && str(child, "class") == "CONSTANT" {
		s, err := w.expr(child)
		if err != nil {
			return "", err
		}
		return "toDateTime(" + s + ", 'UTC')", nil
	}
	s, err := w.expr(child)
	if err != nil {
		return "", err
	}
	fn := map[string]string{"VARCHAR": "toString", "DOUBLE": "toFloat64", "FLOAT": "toFloat64", "BIGINT": "toInt64",
		"INTEGER": "toInt64", "SMALLINT": "toInt64", "HUGEINT": "toInt64", "TIMESTAMP": "toDateTime"}[id]
	if fn == "" {
		return "", unsupportedCH("CAST to %s", id)
	}
	_, isInt := strconv.ParseInt(s, 10, 64)
	_, isNum := strconv.ParseFloat(s, 64)
	if fn == "toInt64" && isInt == nil || fn == "toFloat64" && isNum == nil {
		return s, nil // a number constant the parser cast: as it is
	}
	if try && fn != "toString" {
		return fn + "OrNull(toString(" + s + "))", nil
	}
	return fn + "(" + s + ")", nil
}

// function writes a call.
func (w *chWriter) function(x map[string]any, kids []any) (string, error) {
	name := strings.ToLower(str(x, "function_name"))
	if x["filter"] != nil {
		return "", unsupportedCH("FILTER (WHERE …)")
	}
	if len(list(obj(x["order_bys"])["orders"])) > 0 {
		return "", unsupportedCH("an ordered aggregate (%s(… ORDER BY …))", name)
	}
	distinct, _ := x["distinct"].(bool)
	if op, ok := chOperators[name]; ok && len(kids) == 2 {
		return w.binary(kids[0], op, kids[1])
	}
	if name == "-" && len(kids) == 1 {
		s, err := w.expr(kids[0])
		return "(-" + s + ")", err
	}
	args, err := w.exprs(kids)
	if err != nil {
		return "", err
	}
	d := sqlq.ClickHouse{}
	constP := func(i int) (float64, error) {
		if i >= len(args) {
			return 0, unsupportedCH("%s() without a fraction", name)
		}
		p, err := strconv.ParseFloat(args[i], 64)
		if err != nil || p < 0 || p > 1 {
			return 0, unsupportedCH("%s() of a fraction that is not a constant between 0 and 1", name)
		}
		return p, nil
	}
	if secs, ok := intervalUnits[name]; ok && len(args) == 1 {
		n, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil {
			return "", unsupportedCH("%s() of a value that is not a constant integer", name)
		}
		return strconv.FormatInt(n*secs, 10), nil // seconds, as constant() writes an interval
	}
	switch {
	case name == "trunc" && len(args) == 1:
		if f, err := strconv.ParseFloat(args[0], 64); err == nil && f == float64(int64(f)) {
			return strconv.FormatInt(int64(f), 10), nil
		}
		return "if(" + args[0] + " < 0, ceil(" + args[0] + "), floor(" + args[0] + "))", nil
	case name == "count_star":
		return "count()", nil
	case name == "count" && distinct:
		return "uniqExact(" + strings.Join(args, ", ") + ")", nil
	case distinct:
		return "", unsupportedCH("%s(DISTINCT …)", name)
	case name == "quantile_cont" || name == "quantile" || name == "median":
		p := 0.5
		if name != "median" {
			if p, err = constP(1); err != nil {
				return "", err
			}
		}
		return d.Quantile(args[0], p), nil
	case name == "approx_quantile":
		p, err := constP(1)
		if err != nil {
			return "", err
		}
		return d.ApproxQuantile(args[0], p), nil
	case name == "contains" && len(args) == 2:
		return "(position(" + args[0] + ", " + args[1] + ") > 0)", nil
	case name == "||" || name == "concat":
		for i, a := range args {
			args[i] = "toString(" + a + ")"
		}
		return "concat(" + strings.Join(args, ", ") + ")", nil
	case name == "time_bucket" && len(args) == 2:
		if _, err := strconv.ParseInt(args[0], 10, 64); err != nil {
			return "", unsupportedCH("time_bucket() of a width that is not a constant interval")
		}
		return "toDateTime(intDiv(toUInt32(" + args[1] + "), " + args[0] + ") * " + args[0] + ", 'UTC')", nil
	case name == "date_trunc" && len(args) == 2:
		unit := strings.Trim(args[0], "'")
		fn := map[string]string{"second": "toDateTime", "minute": "toStartOfMinute", "hour": "toStartOfHour", "day": "toStartOfDay"}[unit]
		if fn == "" {
			return "", unsupportedCH("date_trunc() to %s", args[0])
		}
		return fn + "(" + args[1] + ")", nil
	case name == "epoch":
		return "toUnixTimestamp(" + args[0] + ")", nil
	case name == "epoch_ms":
		return "(toInt64(toUnixTimestamp(" + args[0] + ")) * 1000)", nil
	case name == "left" && len(args) == 2:
		return "substringUTF8(" + args[0] + ", 1, " + args[1] + ")", nil
	}
	fn, ok := chFunctions[name]
	if !ok {
		return "", unsupportedCH("the function %s()", name)
	}
	return fn + "(" + strings.Join(args, ", ") + ")", nil
}

// queryFault is what an engine's error says when the query, not the
// engine, is at fault: internal/store/clickhouse's errors have it.
type queryFault interface{ QueryFault() bool }

// chInvalid classifies an error of ClickHouse running the written SQL:
// the query's fault (an unknown column, a type the function does not
// take) is the caller's (errs.Invalid, with the server's words).
func chInvalid(err error) error {
	var f queryFault
	if errors.As(err, &f) && f.QueryFault() {
		return &errs.Error{Kind: errs.Invalid, Msg: "SQL failed on ClickHouse: " + err.Error(), Err: err}
	}
	return err
}
