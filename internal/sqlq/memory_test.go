package sqlq_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/lore-dev/lore/internal/sqlq"
)

func TestOutOfMemory(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("journey: %w", errors.New("Out of Memory Error: failed to allocate data of size 16.0 MiB (15.9 MiB/16.0 MiB used)")), true},
		{errors.New("Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded (MEMORY_LIMIT_EXCEEDED)"), true},
		{errors.New("Binder Error: column \"x\" not found"), false},
		{nil, false},
	} {
		if got := sqlq.OutOfMemory(c.err); got != c.want {
			t.Errorf("OutOfMemory(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}
