//go:build unix

package native

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time this process has used, all threads: on a
// shared machine it says more about the decoder than the wall clock.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
