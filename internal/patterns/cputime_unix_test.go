//go:build unix

package patterns

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time (user and system) the process has used, so that
// a benchmark can report throughput per CPU-second on a shared machine,
// where wall-clock time measures the neighbours too.
func cpuTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
