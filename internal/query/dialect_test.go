package query

// testDialect spells SQL like DuckDB, so that the package's tests do not
// need to link an engine (internal/store/duckdb tests the real one).
type testDialect struct{}

func (testDialect) Column(name string) string       { return name }
func (testDialect) AttrValue() string               { return "attr_values[list_position(attr_keys, ?)]" }
func (testDialect) ContainsFold(expr string) string { return "contains(lower(" + expr + "), ?)" }
func (testDialect) Like(expr string) string         { return expr + ` LIKE ? ESCAPE '\'` }
func (testDialect) Match(expr string) string        { return "regexp_matches(" + expr + ", ?)" }
func (testDialect) Glob(expr string) string         { return "regexp_matches(" + expr + ", ?)" }
func (testDialect) Lower(expr string) string        { return "lower(" + expr + ")" }
func (testDialect) ToDouble(expr string) string     { return "TRY_CAST(" + expr + " AS DOUBLE)" }
func (testDialect) ToString(expr string) string     { return "CAST(" + expr + " AS VARCHAR)" }

func (testDialect) Uint64(v uint64) (string, any) { return "?", v }

var _ Dialect = testDialect{}
