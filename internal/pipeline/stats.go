package pipeline

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Stats are the pipeline's counters, for /metrics.
type Stats struct {
	EventsLogged  uint64 // events fsync'd in the WAL since Open
	BytesLogged   uint64 // encoded bytes fsync'd in the WAL since Open
	Groups        uint64 // group commits (one fsync each)
	FsyncSeconds  Histogram
	PendingBytes  int64 // encoded bytes submitted but not yet in the store (the backlog bounded by MaxPendingBytes)
	PendingEvents int64
	MemoryBytes   int64  // encoded bytes of logged events held in memory for the loader (bounded by MaxMemoryBytes)
	EventsLoaded  uint64 // events committed in the store since Open (replay included)
	BatchesLoaded uint64
	LoadErrors    uint64 // failed store appends (each retried)
	Overloaded    uint64 // Submits refused with ErrOverloaded
	LastSeq       uint64 // highest seq fsync'd in the WAL
	LoadedSeq     uint64 // highest seq committed in the store
	Segments      int    // WAL segment files
}

// Histogram is a Prometheus-style histogram: Counts[i] is the number of
// observations <= Bounds[i] (cumulative); Count and Sum cover all of them.
type Histogram struct {
	Bounds []float64
	Counts []uint64
	Count  uint64
	Sum    float64
}

// fsyncBounds are the fsync latency buckets, in seconds: from a
// battery-backed cache (~50µs) to a struggling disk (seconds).
var fsyncBounds = [...]float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

type stats struct {
	eventsLogged  atomic.Uint64
	bytesLogged   atomic.Uint64
	groups        atomic.Uint64
	eventsLoaded  atomic.Uint64
	batchesLoaded atomic.Uint64
	loadErrors    atomic.Uint64
	overloaded    atomic.Uint64
	lastSeq       atomic.Uint64
	loadedSeq     atomic.Uint64

	mu         sync.Mutex
	fsyncCount [len(fsyncBounds) + 1]uint64 // per bucket, last is +Inf
	fsyncSum   float64
	rate       float64 // bytes/s the store loads, moving average
}

func (s *stats) observeFsync(d time.Duration) {
	sec := d.Seconds()
	i := 0
	for i < len(fsyncBounds) && sec > fsyncBounds[i] {
		i++
	}
	s.mu.Lock()
	s.fsyncCount[i]++
	s.fsyncSum += sec
	s.mu.Unlock()
}

// observeLoad folds one store append of bytes taking d into the load rate.
func (s *stats) observeLoad(bytes int64, d time.Duration) {
	if d <= 0 {
		d = time.Microsecond
	}
	r := float64(bytes) / d.Seconds()
	s.mu.Lock()
	if s.rate == 0 {
		s.rate = r
	} else {
		s.rate = 0.7*s.rate + 0.3*r
	}
	s.mu.Unlock()
}

func (s *stats) loadRate() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if math.IsNaN(s.rate) || math.IsInf(s.rate, 0) {
		return 0
	}
	return s.rate
}

// Stats returns a snapshot of the counters.
func (p *Pipeline) Stats() Stats {
	st := Stats{
		EventsLogged:  p.st.eventsLogged.Load(),
		BytesLogged:   p.st.bytesLogged.Load(),
		Groups:        p.st.groups.Load(),
		PendingBytes:  p.pendingBytes.Load(),
		PendingEvents: p.pendingEvents.Load(),
		EventsLoaded:  p.st.eventsLoaded.Load(),
		BatchesLoaded: p.st.batchesLoaded.Load(),
		LoadErrors:    p.st.loadErrors.Load(),
		Overloaded:    p.st.overloaded.Load(),
		LastSeq:       p.st.lastSeq.Load(),
		LoadedSeq:     p.st.loadedSeq.Load(),
	}
	h := Histogram{Bounds: append([]float64(nil), fsyncBounds[:]...), Counts: make([]uint64, len(fsyncBounds))}
	p.st.mu.Lock()
	var cum uint64
	for i := range fsyncBounds {
		cum += p.st.fsyncCount[i]
		h.Counts[i] = cum
	}
	h.Count = cum + p.st.fsyncCount[len(fsyncBounds)]
	h.Sum = p.st.fsyncSum
	p.st.mu.Unlock()
	st.FsyncSeconds = h
	p.mu.Lock()
	st.Segments = len(p.segs)
	st.MemoryBytes = p.memBytes
	p.mu.Unlock()
	return st
}
