package clickhouse

import (
	"context"
	"errors"
	"testing"
)

// TestServerTimeoutIsADeadline: the server's own timeout, whichever
// release words it, reads as a deadline (a 503 with Retry-After, not a
// 500); other errors do not.
func TestServerTimeoutIsADeadline(t *testing.T) {
	for _, c := range []struct {
		body     string
		deadline bool
	}{
		{"Code: 159, e.displayText() = DB::Exception: Timeout exceeded: elapsed 1.000 seconds, maximum: 1, e.what() = DB::Exception", true},
		{"Code: 159. DB::Exception: Timeout exceeded: elapsed 1.0 seconds, maximum: 1. (TIMEOUT_EXCEEDED) (version 24.8.1.1)", true},
		{"Code: 160. DB::Exception: Estimated query execution time (12.3 seconds) is too long. Maximum: 5. (TOO_SLOW)", true},
		{"Code: 241, e.displayText() = DB::Exception: Memory limit (for query) exceeded", false},
		{"Code: 62, e.displayText() = DB::Exception: Syntax error", false},
	} {
		err := error(serverError(500, []byte(c.body)))
		if got := errors.Is(err, context.DeadlineExceeded); got != c.deadline {
			t.Errorf("%q: errors.Is(DeadlineExceeded) = %v, want %v", c.body, got, c.deadline)
		}
	}
}
