package duckdb

import (
	"testing"

	"github.com/lore-dev/lore/internal/store/storetest"
)

func TestIssuesConformance(t *testing.T) {
	storetest.RunIssues(t, func(t *testing.T) storetest.IssuesStore { return openTest(t, t.TempDir()) })
}
