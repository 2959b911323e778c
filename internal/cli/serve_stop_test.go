package cli

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

// TestServeStoppedWhileStarting: a SIGTERM or SIGINT that comes while
// lore serve is still starting (replaying a long WAL, say) stops it with
// status 0, as a stop after it started does: nothing failed.
func TestServeStoppedWhileStarting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the signal came before Open was done
	var out, errb bytes.Buffer
	code := Main(ctx, []string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--otlp-grpc-addr", ""}, Stdio{In: strings.NewReader(""), Out: &out, Err: &errb})
	if code != 0 || !strings.Contains(errb.String(), "lore stopped before it was ready") {
		t.Fatalf("serve stopped while starting: exit %d, stderr:\n%s", code, errb.String())
	}
}
