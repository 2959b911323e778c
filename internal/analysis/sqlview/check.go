package sqlview

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lore-dev/lore/internal/sqlq"
)

// MaxText is the longest SQL text Check reads, in bytes.
const MaxText = 16 << 10

// maxDepth bounds the nesting of the parsed tree the walk follows.
const maxDepth = 200

// Error is a SQL text refused: why, and where when the parser said
// (1-based line and column; 0 when unknown).
type Error struct {
	Msg    string `json:"message"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

func (e *Error) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return e.Msg
}

// refused is an Error at no position.
func refused(format string, args ...any) *Error { return &Error{Msg: fmt.Sprintf(format, args...)} }

// allowedRefs are the kinds of table reference a text may use; BASE_TABLE
// only for events and the text's own WITH names.
var allowedRefs = map[string]bool{"BASE_TABLE": true, "SUBQUERY": true, "JOIN": true, "EXPRESSION_LIST": true, "EMPTY": true}

// allowedNodes are the kinds of query node a text may be made of.
// (not RECURSIVE_CTE_NODE: a recursive WITH applies its calls again and
// again, so no bound on a value's growth holds).
var allowedNodes = map[string]bool{"SELECT_NODE": true, "SET_OPERATION_NODE": true, "CTE_NODE": true}

// Check reads text with the engine's parser and returns the statement to
// run in its place: the engine's rendering of the checked tree, itself
// checked. It refuses (with *Error) anything but one read-only SELECT
// over the events view (see the package comment). ex must be DuckDB.
func Check(ctx context.Context, ex sqlq.Executor, text string) (string, error) {
	if ex.Dialect().Name() != "duckdb" {
		return "", errUnsupported(ex)
	}
	switch {
	case strings.TrimSpace(text) == "":
		return "", refused("no SQL: send one SELECT over events")
	case len(text) > MaxText:
		return "", refused("the SQL is %d bytes, more than %d", len(text), MaxText)
	case !utf8.ValidString(text):
		return "", refused("the SQL is not valid UTF-8")
	case strings.ContainsRune(text, 0):
		return "", refused("the SQL holds a NUL byte")
	}
	full, tree, err := parse(ctx, ex, text)
	if err != nil {
		return "", err
	}
	rewritten, err := checkTree(ctx, ex, tree)
	if err != nil {
		return "", err
	}
	if rewritten != nil {
		full = `{"error":false,"statements":[` + string(rewritten) + `]}`
	}
	var canonical string
	q := sqlq.Query{Name: "sqlview.render", SQL: "SELECT CAST(json_deserialize_sql(CAST(? AS JSON)) AS VARCHAR)", Args: []any{full}}
	if err := ex.Run(ctx, q, func(s sqlq.Scanner) error { return s.Scan(&canonical) }); err != nil {
		return "", fmt.Errorf("render the checked SQL: %w", err)
	}
	// What runs is checked as what was sent was.
	_, tree2, err := parse(ctx, ex, canonical)
	if err == nil {
		_, err = checkTree(ctx, ex, tree2)
	}
	if err != nil {
		return "", fmt.Errorf("the engine renders the SQL as %q, which does not pass: %w", canonical, err)
	}
	return canonical, nil
}

// parse has the engine parse text into its JSON tree, and refuses what is
// not exactly one SELECT: it returns the engine's whole answer and the
// one statement's tree.
func parse(ctx context.Context, ex sqlq.Executor, text string) (string, json.RawMessage, error) {
	var out string
	q := sqlq.Query{Name: "sqlview.parse", SQL: "SELECT CAST(json_serialize_sql(CAST(? AS VARCHAR)) AS VARCHAR)", Args: []any{text}}
	if err := ex.Run(ctx, q, func(s sqlq.Scanner) error { return s.Scan(&out) }); err != nil {
		return "", nil, fmt.Errorf("parse the SQL: %w", err)
	}
	var res struct {
		Error      bool              `json:"error"`
		Type       string            `json:"error_type"`
		Message    string            `json:"error_message"`
		Position   string            `json:"position"`
		Statements []json.RawMessage `json:"statements"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		return "", nil, fmt.Errorf("read the parsed SQL: %w", err)
	}
	if res.Error {
		e := &Error{Msg: res.Message}
		if res.Message == "Only SELECT statements can be serialized to json!" {
			e.Msg = "only a SELECT may run here (not PRAGMA, SET, COPY, ATTACH, INSTALL, LOAD, CREATE, INSERT, …)"
		}
		if pos, err := strconv.Atoi(res.Position); err == nil && pos >= 0 && pos <= len(text) {
			e.Line, e.Column = lineCol(text, pos)
		}
		return "", nil, e
	}
	switch len(res.Statements) {
	case 0:
		return "", nil, refused("no statement: send one SELECT over events")
	case 1:
	default:
		return "", nil, refused("%d statements: send exactly one SELECT", len(res.Statements))
	}
	return out, res.Statements[0], nil
}

// lineCol is the 1-based line and character column of byte offset off.
func lineCol(s string, off int) (int, int) {
	before := s[:off]
	line := strings.Count(before, "\n") + 1
	return line, utf8.RuneCountInString(before[strings.LastIndexByte(before, '\n')+1:]) + 1
}

// checkTree walks a parsed statement, then asks the engine whether every
// function it calls is one it has loaded (so none is fetched on demand).
// When the walk rewrote a call (splits read a value's first splitBytes),
// it returns the rewritten statement.
func checkTree(ctx context.Context, ex sqlq.Executor, stmt json.RawMessage) (json.RawMessage, error) {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(stmt)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("read the parsed SQL: %w", err)
	}
	w := &walker{funcs: map[string]bool{}, growth: 1, tops: map[uintptr]bool{}, node: &nodeState{}}
	if m, ok := v.(map[string]any); ok {
		w.markTops(m["node"])
	}
	if err := w.walk(v, []string{"events"}, 0); err != nil {
		return nil, err
	}
	if err := checkFunctions(ctx, ex, w.funcs); err != nil {
		return nil, err
	}
	if !w.rewrote {
		return nil, nil
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("write the checked SQL: %w", err)
	}
	return out, nil
}

// walker collects the functions a tree calls and refuses what it must not
// hold.
type walker struct {
	funcs   map[string]bool
	growth  int              // the product of the growth factors of the calls so far (allow.go)
	tops    map[uintptr]bool // the outermost query nodes: the statement's, or its set operation's
	node    *nodeState       // the query node being walked
	rewrote bool             // a split's value was cut to splitBytes
}

// nodeState is what the walk saw in one query node.
type nodeState struct {
	top     bool
	collect string // a collecting aggregate called, if any
	window  string // a window function called, if any
}

// markTops records the outermost query nodes: the statement's, and the
// sides of a set operation (UNION, …) there.
func (w *walker) markTops(v any) {
	n, ok := v.(map[string]any)
	if !ok {
		return
	}
	w.tops[reflect.ValueOf(n).Pointer()] = true
	if n["type"] == "SET_OPERATION_NODE" {
		w.markTops(n["left"])
		w.markTops(n["right"])
		if cs, ok := n["children"].([]any); ok {
			for _, c := range cs {
				w.markTops(c)
			}
		}
	}
}

// walk checks v with scope the table names that resolve to a WITH of the
// text (or to the events view).
func (w *walker) walk(v any, scope []string, depth int) error {
	if depth > maxDepth {
		return refused("the SQL nests more than %d levels", maxDepth)
	}
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := w.walk(e, scope, depth+1); err != nil {
				return err
			}
		}
	case map[string]any:
		return w.object(x, scope, depth)
	}
	return nil
}

func (w *walker) object(x map[string]any, scope []string, depth int) error {
	typ, _ := x["type"].(string)
	_, isExpr := x["class"]
	switch {
	case isExpr:
		if err := w.expr(x); err != nil {
			return err
		}
		if x["class"] == "LAMBDA" { // its parameters (lhs) are names, not calls
			return w.walk(x["expr"], scope, depth+1)
		}
	case strings.HasSuffix(typ, "_NODE"):
		if typ == "RECURSIVE_CTE_NODE" {
			return refused("WITH RECURSIVE is not allowed: it repeats its calls without bound")
		}
		if !allowedNodes[typ] {
			return refused("a query of kind %s is not allowed", typ)
		}
		outer := w.node
		w.node = &nodeState{top: w.tops[reflect.ValueOf(x).Pointer()]}
		defer func() { w.node = outer }()
		var err error
		if scope, err = w.ctes(x, scope, depth); err != nil {
			return err
		}
	case hasKey(x, "sample") && hasKey(x, "alias") && typ != "":
		// A table reference.
		if err := w.ref(x, typ, scope); err != nil {
			return err
		}
	}
	for k, e := range x {
		if k == "cte_map" {
			continue // walked by ctes, each in its own scope
		}
		if err := w.walk(e, scope, depth+1); err != nil {
			return err
		}
	}
	if strings.HasSuffix(typ, "_NODE") && !isExpr && w.node.collect != "" && w.node.window != "" {
		return refused("%s() and a window function (%s) in one SELECT are not allowed: the window would copy the collected value to every row", w.node.collect, w.node.window)
	}
	return nil
}

// ctes walks a node's WITH definitions, each seeing the names before it,
// and returns the scope of the node's body: every name.
func (w *walker) ctes(node map[string]any, scope []string, depth int) ([]string, error) {
	m, _ := node["cte_map"].(map[string]any)
	entries, _ := m["map"].([]any)
	inner := slices.Clone(scope)
	for _, e := range entries {
		entry, _ := e.(map[string]any)
		name, ok := entry["key"].(string)
		if !ok {
			return nil, refused("a WITH without a name")
		}
		if strings.EqualFold(name, "events") {
			return nil, refused("WITH events: the name events is Lore's view; name yours otherwise")
		}
		if err := w.walk(entry["value"], inner, depth+1); err != nil {
			return nil, err
		}
		inner = append(inner, strings.ToLower(name))
	}
	return inner, nil
}

// ref checks a table reference.
func (w *walker) ref(x map[string]any, typ string, scope []string) error {
	if !allowedRefs[typ] {
		if typ == "TABLE_FUNCTION" {
			return refused("table functions (read_csv, read_parquet, glob, …) are not allowed: read events")
		}
		return refused("a table reference of kind %s is not allowed: read events", typ)
	}
	if typ != "BASE_TABLE" {
		return nil
	}
	name, _ := x["table_name"].(string)
	schema, _ := x["schema_name"].(string)
	catalog, _ := x["catalog_name"].(string)
	if schema != "" || catalog != "" {
		return refused("table %q: a qualified name is not allowed: read events", strings.Trim(catalog+"."+schema+"."+name, "."))
	}
	if at, ok := x["at_clause"]; ok && at != nil {
		return refused("table %q: AT (time travel) is not allowed", name)
	}
	if !slices.Contains(scope, strings.ToLower(name)) {
		return refused("table %q is not allowed: the only table is events (and the names your WITH defines)", name)
	}
	return nil
}

// expr checks an expression node: the functions it calls (allow.go),
// their constant arguments, and the growth of the values they build.
func (w *walker) expr(x map[string]any) error {
	children, _ := x["children"].([]any)
	switch x["class"] {
	case "PARAMETER":
		return refused("parameters (?, $1) are not allowed: write the values in the SQL")
	case "OPERATOR":
		if x["type"] == "OPERATOR_UNPACK" {
			return refused("unpacking (*COLUMNS(…)) is not allowed")
		}
	case "CAST":
		if t, _ := x["cast_type"].(map[string]any); t != nil && (t["id"] == "VARCHAR" || t["id"] == "JSON") && !isConstant(x["child"]) {
			return w.grow("CAST(… AS VARCHAR)", 2, []any{x["child"]})
		}
	case "LAMBDA":
		return lambda(x)
	case "WINDOW":
		name, err := w.function(x)
		if err != nil {
			return err
		}
		if functions[name] == collecting {
			return refused("%s() OVER a window is not allowed: each row would hold a value as large as its window", name)
		}
		w.node.window = name
		return w.topN(name, children)
	case "FUNCTION":
		name, err := w.function(x)
		if err != nil {
			return err
		}
		return w.call(name, children)
	}
	return nil
}

// function checks a call's name: unqualified (but for the main.position
// DuckDB's parser makes of POSITION(a IN b)), and allowed.
func (w *walker) function(x map[string]any) (string, error) {
	name, _ := x["function_name"].(string)
	schema, _ := x["schema"].(string)
	catalog, _ := x["catalog"].(string)
	if (schema != "" && !(schema == "main" && name == "position")) || catalog != "" {
		return "", refused("function %q: a qualified name is not allowed", strings.Trim(catalog+"."+schema+"."+name, "."))
	}
	lower := strings.ToLower(name)
	if _, ok := functions[lower]; !ok {
		if op, _ := x["is_operator"].(bool); op {
			return "", refused("operator %s is not allowed", name)
		}
		return "", refused("function %s() is not allowed: Lore runs only functions whose work is bounded by the size of their arguments (the README lists them)", name)
	}
	if x["class"] == "FUNCTION" {
		w.funcs[lower] = true
	}
	return lower, nil
}

// call checks the arguments of an allowed function and the growth of
// its value.
func (w *walker) call(name string, args []any) error {
	for _, i := range patterns[name] {
		if i >= len(args) {
			continue
		}
		s, ok := constString(args[i])
		if !ok || len(s) > maxPattern {
			return refused("%s(): argument %d must be a constant string of at most %d bytes (a search takes time the text's size times the pattern's)", name, i+1, maxPattern)
		}
		if strings.HasPrefix(name, "~~") || strings.HasPrefix(name, "!~~") {
			if err := likePattern(name, s); err != nil {
				return err
			}
		}
	}
	if splits[name] && len(args) > 0 {
		args[0] = leftOf(args[0], splitBytes)
		w.rewrote = true
	}
	switch functions[name] {
	case collecting:
		if !w.node.top {
			return refused("%s() is only allowed in the outermost SELECT: its value grows with the rows it collects", name)
		}
		w.node.collect = name
	case additive:
		n := 0
		for _, a := range args {
			if !isConstant(a) {
				n++
			}
		}
		return w.grow(name+"()", n, args)
	}
	if err := w.topN(name, args); err != nil {
		return err
	}
	f := factors[name]
	switch {
	case name == "replace" && len(args) == 3:
		from, _ := constString(args[1])
		to, _ := constString(args[2])
		f = (len(to) + len(from)) / max(len(from), 1)
	case name == "regexp_replace" && len(args) >= 3:
		if len(args) == 4 {
			if opts, _ := constString(args[3]); strings.Contains(opts, "g") {
				return refused("regexp_replace() with the g option is not allowed: replacing every match (empty ones too) is too slow on long values; replace() replaces every occurrence of a text")
			}
		}
		to, _ := constString(args[2]) // \0 copies the match
		f = len(to) + 1
	}
	if f > 1 {
		return w.grow(name+"()", f, args)
	}
	return nil
}

// leftOf is the parsed form of left(v, n).
func leftOf(v any, n int) map[string]any {
	return map[string]any{"class": "FUNCTION", "type": "FUNCTION", "alias": "", "query_location": json.Number("18446744073709551615"),
		"function_name": "left", "schema": "", "catalog": "", "filter": nil, "distinct": false, "is_operator": false, "export_state": false,
		"order_bys": map[string]any{"type": "ORDER_MODIFIER", "orders": []any{}},
		"children": []any{v, map[string]any{"class": "CONSTANT", "type": "VALUE_CONSTANT", "alias": "", "query_location": json.Number("18446744073709551615"),
			"value": map[string]any{"type": map[string]any{"id": "INTEGER", "type_info": nil}, "is_null": false, "value": json.Number(strconv.Itoa(n))}}}}
}

// topN refuses min(x, n), arg_max(x, y, n), …: they keep n values.
func (w *walker) topN(name string, args []any) error {
	if n, ok := topN[name]; ok && len(args) > n {
		return refused("%s() with %d arguments is not allowed: the last one would make it keep that many values", name, len(args))
	}
	return nil
}

// grow multiplies the text's growth by f for a call of what, refusing
// past maxGrowth, and refuses a growing call of a collected value.
func (w *walker) grow(what string, f int, args []any) error {
	if f <= 1 {
		return nil
	}
	for _, a := range args {
		if c := collected(a); c != "" {
			return refused("%s of %s() is not allowed: the collected value may be as large as the rows it read", what, c)
		}
	}
	w.growth = min(w.growth*f, maxGrowth+1)
	if w.growth > maxGrowth {
		return refused("the SQL may multiply a value's size by more than %d (at %s: concat, ||, list_value, replace, string_split, casts to VARCHAR, … each multiply it)", maxGrowth, what)
	}
	return nil
}

// collected is the name of a collecting aggregate v calls, or "".
func collected(v any) string {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if c := collected(e); c != "" {
				return c
			}
		}
	case map[string]any:
		if x["class"] == "FUNCTION" {
			name, _ := x["function_name"].(string)
			if functions[strings.ToLower(name)] == collecting {
				return strings.ToLower(name)
			}
		}
		for _, e := range x {
			if c := collected(e); c != "" {
				return c
			}
		}
	}
	return ""
}

// lambda refuses a lambda whose body reads anything but its own
// parameters (and those of the lambdas inside it): list_transform(l, x ->
// l) would make a list the square of l's size.
func lambda(x map[string]any) error {
	params := map[string]bool{}
	lambdaParams(x["lhs"], params)
	return lambdaBody(x["expr"], params)
}

func lambdaParams(v any, params map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	if names, ok := m["column_names"].([]any); ok && len(names) == 1 {
		if n, ok := names[0].(string); ok {
			params[strings.ToLower(n)] = true
		}
	}
	if cs, ok := m["children"].([]any); ok {
		for _, c := range cs {
			lambdaParams(c, params)
		}
	}
}

func lambdaBody(v any, params map[string]bool) error {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if err := lambdaBody(e, params); err != nil {
				return err
			}
		}
	case map[string]any:
		switch x["class"] {
		case "COLUMN_REF":
			names, _ := x["column_names"].([]any)
			if len(names) == 0 {
				return refused("a lambda reads an unnamed column")
			}
			if n, _ := names[0].(string); !params[strings.ToLower(n)] {
				return refused("a lambda may only read its own parameters, not %q", n)
			}
			return nil
		case "SUBQUERY":
			return refused("a lambda may not hold a subquery")
		case "LAMBDA":
			inner := maps.Clone(params)
			lambdaParams(x["lhs"], inner)
			return lambdaBody(x["expr"], inner)
		}
		for _, e := range x {
			if err := lambdaBody(e, params); err != nil {
				return err
			}
		}
	}
	return nil
}

// likePattern refuses a LIKE, ILIKE or GLOB pattern the engine would
// match by trying every position of the value. DuckDB matches a LIKE
// pattern of text and % in linear time (it searches for each piece of
// text); anything else (a _, ILIKE, GLOB) goes to a matcher that, at each
// wildcard followed by text, tries every position: over 100 values of
// 64 KiB, ILIKE '%…%' with 64 bytes of text took 3.2 s, ILIKE '%…' 3.1 s,
// GLOB '*…*' 2.2 s, LIKE '%…_%' 1.9 s, and a chunk of 2,048 rows, which
// the deadline cannot interrupt, 20 times that. So those may have their
// wildcards at the end only (a prefix).
func likePattern(op, p string) error {
	wild, one := "%", "_"
	if op == "~~~" {
		wild, one = "*", "?["
	}
	if (op == "~~" || op == "!~~") && !strings.ContainsAny(p, one) {
		return nil
	}
	if strings.Contains(strings.TrimRight(p, wild), wild) {
		return refused("the pattern %q has a %s before its end: with %s, ILIKE or GLOB that backtracks, trying every position of the value (allowed: LIKE with %% and text only, or wildcards at the end; text anywhere, any case: contains(lower(x), 'text') or lower(x) LIKE '%%text%%')", p, wild, one)
	}
	return nil
}

// isConstant says whether v is a constant (a literal, or a cast of one).
func isConstant(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	switch m["class"] {
	case "CONSTANT":
		return true
	case "CAST":
		return isConstant(m["child"])
	}
	return false
}

// constString is v's value when it is a constant string (or NULL, "").
func constString(v any) (string, bool) {
	m, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	if m["class"] == "CAST" {
		return constString(m["child"])
	}
	if m["class"] != "CONSTANT" {
		return "", false
	}
	val, _ := m["value"].(map[string]any)
	if null, _ := val["is_null"].(bool); null {
		return "", true
	}
	s, ok := val["value"].(string)
	return s, ok
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// checkFunctions refuses a function the engine has not loaded as a
// scalar, aggregate or macro function: an unknown one would otherwise be
// searched for in extensions, which the engine may fetch and load.
func checkFunctions(ctx context.Context, ex sqlq.Executor, funcs map[string]bool) error {
	if len(funcs) == 0 {
		return nil
	}
	names := make([]string, 0, len(funcs))
	for f := range funcs {
		if f != "unnest" { // a table in-out function of the engine's own
			names = append(names, f)
		}
	}
	slices.Sort(names)
	known := map[string]bool{}
	q := sqlq.Query{Name: "sqlview.functions", SQL: "SELECT DISTINCT lower(function_name) FROM duckdb_functions() " +
		"WHERE function_type IN ('scalar', 'aggregate', 'macro') AND list_contains(?, lower(function_name))", Args: []any{names}}
	err := ex.Run(ctx, q, func(s sqlq.Scanner) error {
		var n string
		if err := s.Scan(&n); err != nil {
			return err
		}
		known[n] = true
		return nil
	})
	if err != nil {
		return fmt.Errorf("look up the SQL's functions: %w", err)
	}
	for _, n := range names {
		if !known[n] {
			return refused("function %s() is not one Lore's engine has (table functions and extensions are not allowed)", n)
		}
	}
	return nil
}
