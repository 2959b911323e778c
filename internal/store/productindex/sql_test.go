package productindex

import (
	"testing"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/sqlq/sqlqtest"
)

// TestLoadQueriesGolden shows the SQL Load reads the tables with in each
// engine (testdata/<engine>.sql). That the index so loaded answers as the
// analyses' SQL does is checked by the DuckDB store's
// TestProductIndexMatchesSQL, after a rebuild from the tables.
func TestLoadQueriesGolden(t *testing.T) {
	sqlqtest.Golden(t, func(d sqlq.Dialect, add func(sqlq.Query, error)) {
		iq, rq, err := loadQueries(d)
		add(iq, err)
		add(rq, err)
	})
}
