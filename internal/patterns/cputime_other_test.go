//go:build !unix

package patterns

import "time"

func cpuTime() (time.Duration, bool) { return 0, false }
