package app

import (
	"context"
	"time"
)

// every calls f at each tick of d until ctx ends (not at once: a caller
// that wants a first call now makes it before). The background watches of
// other nodes' deletions and erasures and the story refresh run on it.
func every(ctx context.Context, d time.Duration, f func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f()
		}
	}
}
