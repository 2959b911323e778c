package lifecycle

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests when a goroutine outlives them (the
// retention loop).
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
