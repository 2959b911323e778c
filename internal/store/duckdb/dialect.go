package duckdb

import (
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
)

// Dialect spells compiled search queries and the analyses' queries in
// DuckDB's SQL for the events table; see sqlq.DuckDB.
type Dialect = sqlq.DuckDB

var _ query.Dialect = Dialect{}
