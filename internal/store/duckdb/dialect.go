package duckdb

import (
	"math/big"

	"github.com/lore-dev/lore/internal/query"
)

// Dialect spells compiled search queries in DuckDB's SQL for the events
// table; see query.Dialect. The zero value is ready to use.
type Dialect struct{}

// Column returns the column name as it is: the events table is not aliased.
func (Dialect) Column(name string) string { return name }

// AttrValue looks the key up in the parallel attribute lists; indexing a
// list with NULL (key absent) yields NULL.
func (Dialect) AttrValue() string { return "attr_values[list_position(attr_keys, ?)]" }

// ContainsFold compares against a needle the compiler binds lower-cased.
func (Dialect) ContainsFold(expr string) string { return "contains(lower(" + expr + "), ?)" }

// Like needs an explicit ESCAPE clause: DuckDB's LIKE has no default escape
// character.
func (Dialect) Like(expr string) string { return expr + ` LIKE ? ESCAPE '\'` }

// Match uses RE2 (linear in the value). The pattern must not be one that
// DuckDB's optimizer rewrites into LIKE (a '(?s).*' wildcard would be):
// the compiler spells wildcards [^\x00]*, which it leaves alone.
func (Dialect) Match(expr string) string { return "regexp_matches(" + expr + ", ?)" }

// Lower lower-cases Unicode text.
func (Dialect) Lower(expr string) string { return "lower(" + expr + ")" }

// ToDouble never fails: TRY_CAST yields NULL for non-numbers.
func (Dialect) ToDouble(expr string) string { return "TRY_CAST(" + expr + " AS DOUBLE)" }

// ToString renders a number as text.
func (Dialect) ToString(expr string) string { return "CAST(" + expr + " AS VARCHAR)" }

// Uint64 binds an id as a HUGEINT cast back to UBIGINT: database/sql
// rejects uint64 values with the high bit set and the driver lets *big.Int
// through, and the cast keeps the comparison on the UBIGINT column itself,
// so DuckDB pushes it into the scan and prunes row groups by their min/max
// (comparing with a bare HUGEINT would cast the column instead).
func (Dialect) Uint64(v uint64) (string, any) {
	return "CAST(? AS UBIGINT)", new(big.Int).SetUint64(v)
}

var _ query.Dialect = Dialect{}
