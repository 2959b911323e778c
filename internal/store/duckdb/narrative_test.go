package duckdb

import (
	"testing"

	"github.com/lore-dev/lore/internal/store/storetest"
)

func TestNarrativeConformance(t *testing.T) {
	storetest.RunNarrative(t, func(t *testing.T) storetest.NarrativeStore { return openTest(t, t.TempDir()) })
}
