package patterns

import (
	"testing"

	"go.uber.org/goleak"
)

// The processor's saver goroutine must stop on Close.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
