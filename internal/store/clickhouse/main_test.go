package clickhouse

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain checks that no goroutine outlives the tests: a query killed on
// cancel, the HTTP client's connections after Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
