package monitor

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if an evaluator or webhook goroutine
// outlives them.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
