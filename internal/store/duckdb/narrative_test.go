package duckdb

import (
	"testing"

	"github.com/lore-dev/lore/internal/store/storetest"
)

func TestNarrativeConformance(t *testing.T) {
	storetest.RunNarrative(t, func(t *testing.T) storetest.NarrativeStore { return openTest(t, t.TempDir()) })
}

func TestNarrativeRollups(t *testing.T) {
	storetest.RunNarrativeRollups(t, func(t *testing.T, dir string) storetest.NarrativeStore { return openTest(t, dir) })
}
