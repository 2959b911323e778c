package cli

import (
	"bytes"
	"context"
	"strings"
	"sync"
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

// TestDemoStoppedWhileStarting: lore demo stopped before it is ready, or
// while its history loads, exits 0 and says so, as lore serve does.
func TestDemoStoppedWhileStarting(t *testing.T) {
	for _, tc := range []struct{ name, at, want string }{
		{"before ready", "", "lore stopped before it was ready"},
		{"before the history", "backfilling history", "lore demo stopped while loading history"},
		{"loading history", " events sent (", "lore demo stopped while loading history"}, // its first progress line, 2 s in
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tc.at == "" {
				cancel()
			}
			out := &cancelAt{text: tc.at, cancel: cancel}
			var errb syncBuffer
			code := Main(ctx, []string{"demo", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--otlp-grpc-addr", "", "--live=false"},
				Stdio{In: strings.NewReader(""), Out: out, Err: &errb})
			if code != 0 || !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("demo stopped %s: exit %d, stdout:\n%s\nstderr:\n%s", tc.name, code, out.String(), errb.String())
			}
		})
	}
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// cancelAt calls cancel (a SIGINT) once text is written to it.
type cancelAt struct {
	syncBuffer
	text   string
	cancel context.CancelFunc
}

func (c *cancelAt) Write(p []byte) (int, error) {
	n, err := c.syncBuffer.Write(p)
	if c.text != "" && strings.Contains(c.String(), c.text) {
		c.cancel()
	}
	return n, err
}
