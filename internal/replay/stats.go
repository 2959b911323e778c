package replay

import "sync/atomic"

// stats count what the service did, for Lore's own metrics.
type stats struct {
	chunks     atomic.Int64 // chunks accepted
	bytes      atomic.Int64 // their compressed bytes
	refused    atomic.Int64 // chunks refused (off, origin, invalid, over a limit)
	sealed     atomic.Int64 // sessions sealed
	detections atomic.Int64 // rage clicks, dead clicks and errors after a click found
	expired    atomic.Int64 // sessions deleted by retention
}

// Stats is a snapshot of the service's counters.
type Stats struct {
	Chunks, Bytes, Refused, Sealed, Detections, Expired int64
}

// Stats returns the counters.
func (s *Service) Stats() Stats {
	return Stats{Chunks: s.stats.chunks.Load(), Bytes: s.stats.bytes.Load(), Refused: s.stats.refused.Load(),
		Sealed: s.stats.sealed.Load(), Detections: s.stats.detections.Load(), Expired: s.stats.expired.Load()}
}
