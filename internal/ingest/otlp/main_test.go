package otlp

import (
	"testing"

	"go.uber.org/goleak"
)

// The end-to-end tests run real exporters and batch processors: all of
// their goroutines must be gone once the providers are shut down.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
