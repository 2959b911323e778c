package sqlview

import (
	"context"
	"encoding/json"
	"fmt"
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

// deniedFunctions read the engine's settings or state, or change it.
var deniedFunctions = map[string]bool{
	"current_setting": true, "getvariable": true, "getenv": true, "nextval": true, "currval": true,
	"setseed": true, "current_database": true, "current_catalog": true, "current_schema": true,
	"current_schemas": true, "current_query": true, "txid_current": true, "version": true,
}

// allowedRefs are the kinds of table reference a text may use; BASE_TABLE
// only for events and the text's own WITH names.
var allowedRefs = map[string]bool{"BASE_TABLE": true, "SUBQUERY": true, "JOIN": true, "EXPRESSION_LIST": true, "EMPTY": true}

// allowedNodes are the kinds of query node a text may be made of.
var allowedNodes = map[string]bool{"SELECT_NODE": true, "SET_OPERATION_NODE": true, "RECURSIVE_CTE_NODE": true, "CTE_NODE": true}

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
	if err := checkTree(ctx, ex, tree); err != nil {
		return "", err
	}
	var canonical string
	q := sqlq.Query{Name: "sqlview.render", SQL: "SELECT CAST(json_deserialize_sql(CAST(? AS JSON)) AS VARCHAR)", Args: []any{full}}
	if err := ex.Run(ctx, q, func(s sqlq.Scanner) error { return s.Scan(&canonical) }); err != nil {
		return "", fmt.Errorf("render the checked SQL: %w", err)
	}
	// What runs is checked as what was sent was.
	_, tree2, err := parse(ctx, ex, canonical)
	if err == nil {
		err = checkTree(ctx, ex, tree2)
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
func checkTree(ctx context.Context, ex sqlq.Executor, stmt json.RawMessage) error {
	var v any
	dec := json.NewDecoder(strings.NewReader(string(stmt)))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return fmt.Errorf("read the parsed SQL: %w", err)
	}
	w := &walker{funcs: map[string]bool{}}
	if err := w.walk(v, []string{"events"}, 0); err != nil {
		return err
	}
	return checkFunctions(ctx, ex, w.funcs)
}

// walker collects the functions a tree calls and refuses what it must not
// hold.
type walker struct {
	funcs map[string]bool
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
	case strings.HasSuffix(typ, "_NODE"):
		if !allowedNodes[typ] {
			return refused("a query of kind %s is not allowed", typ)
		}
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

// expr checks an expression node: a function call's name.
func (w *walker) expr(x map[string]any) error {
	if x["class"] == "PARAMETER" {
		return refused("parameters (?, $1) are not allowed: write the values in the SQL")
	}
	if x["class"] != "FUNCTION" {
		return nil
	}
	name, _ := x["function_name"].(string)
	schema, _ := x["schema"].(string)
	catalog, _ := x["catalog"].(string)
	if schema != "" || catalog != "" {
		return refused("function %q: a qualified name is not allowed", strings.Trim(catalog+"."+schema+"."+name, "."))
	}
	if op, _ := x["is_operator"].(bool); op {
		return nil
	}
	lower := strings.ToLower(name)
	if deniedFunctions[lower] {
		return refused("function %s() is not allowed", name)
	}
	w.funcs[lower] = true
	return nil
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
		names = append(names, f)
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
