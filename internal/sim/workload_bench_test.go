//go:build unix

package sim

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkWorkload reports events generated and encoded per second of
// wall time and per second of this process's CPU time (the machine may be
// shared, so the second is the generator's real speed on one core).
func BenchmarkWorkload(b *testing.B) {
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)
	const n = 100000
	var bytes int
	cpu0 := cpuTime()
	for b.Loop() {
		bytes = 0
		for _, r := range Workload(1, n, start, 24*time.Hour) {
			bytes += len(r.Body)
		}
	}
	cpu := cpuTime() - cpu0
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(n)*float64(b.N)/cpu.Seconds(), "events/cpu-s")
	b.ReportMetric(float64(bytes)/n, "bytes/event")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
