package pipeline

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// position is where a record starts in the WAL.
type position struct {
	seg uint64 // first seq of the segment
	off int64
}

// loader is the state of the goroutine that moves logged records into the
// store, in seq order, never skipping one.
type loader struct {
	next  uint64   // seq of the next record to load
	cur   position // where record next starts, when it is read from the WAL
	f     *os.File // read handle on segment fseg
	fseg  uint64
	br    *bufio.Reader
	batch []event.Event // reused between batches

	held       *store.Batch // a batch built but not yet committed
	heldBytes  int64
	heldEvents int64
	lastErr    error // why the last load failed (an append, or reading the WAL); nil after a commit
}

func (l *loader) closeFile() {
	if l.f != nil {
		_ = l.f.Close()
		l.f = nil
	}
}

// runLoader loads whenever nudged (a full batch is waiting, or Flush asks)
// and at least every LoadInterval; on Close it loads the rest and stops.
func (p *Pipeline) runLoader() {
	defer close(p.loadDone)
	t := time.NewTicker(p.opts.LoadInterval)
	defer t.Stop()
	for {
		select {
		case <-p.stopLoad:
			if err := p.loadAvailable(p.loadCtx); err != nil {
				p.log.Error("cannot load the WAL into the store at shutdown", "err", err)
				if p.loadCtx.Err() == nil { // a failure of its own (reading the WAL), not Close giving up
					p.ld.lastErr = err
				}
			}
			return
		case <-p.wake:
		case <-t.C:
		}
		if err := p.loadAvailable(p.loadCtx); err != nil && p.loadCtx.Err() == nil {
			p.st.loadErrors.Add(1)
			p.log.Error("cannot load the WAL into the store", "err", err)
		}
		// A segment closed by Rotate after its records were loaded is
		// deleted here: no batch may come to do it.
		p.mu.Lock()
		loaded := p.loaded
		p.mu.Unlock()
		if p.removeSegments(loaded) {
			p.mu.Lock()
			close(p.progress)
			p.progress = make(chan struct{})
			p.mu.Unlock()
		}
	}
}

// loadAvailable appends every durable record to the store, in batches of up
// to MaxBatchEvents events, retrying failed appends until ctx ends.
func (p *Pipeline) loadAvailable(ctx context.Context) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if p.ld.held == nil {
			if err := p.nextBatch(); err != nil {
				return err
			}
			if p.ld.held == nil {
				return nil
			}
		}
		b := p.ld.held
		start := time.Now()
		if err := p.appendRetry(ctx, *b); err != nil {
			return err
		}
		p.committed(b.Seq, p.ld.heldBytes, p.ld.heldEvents, time.Since(start))
		clear(b.Events)
		p.ld.batch = b.Events[:0]
		p.ld.held = nil
	}
}

// nextBatch gathers the records after the last loaded one into ld.held,
// taking them from memory when it can and reading the WAL otherwise. It
// leaves ld.held nil when nothing is waiting.
func (p *Pipeline) nextBatch() error {
	ld := &p.ld
	p.mu.Lock()
	durable := p.durable
	p.mu.Unlock()
	events := ld.batch[:0]
	var bytes int64
	var seq uint64
	max := p.opts.MaxBatchEvents
	for ld.next <= durable && len(events) < max {
		p.mu.Lock()
		for len(p.mem) > 0 && p.mem[0].seq < ld.next {
			p.popMem()
		}
		var head memEntry
		if len(p.mem) > 0 {
			head = p.mem[0]
		}
		p.mu.Unlock()
		if head.seq == ld.next {
			if len(events) > 0 && len(events)+len(head.events) > max {
				break
			}
			events = append(events, head.events...)
			bytes += head.size
			seq = head.seq
			ld.next++
			ld.cur = position{seg: head.seg, off: head.end}
			p.mu.Lock()
			p.popMem()
			p.mu.Unlock()
			continue
		}
		limit := durable
		if head.seq != 0 {
			limit = head.seq - 1
		}
		full, err := p.readWAL(limit, &events, &bytes, &seq)
		if err != nil {
			ld.batch = events[:0]
			return err
		}
		if full {
			break
		}
	}
	if len(events) == 0 && seq == 0 {
		ld.batch = events
		return nil
	}
	ld.held = &store.Batch{Seq: seq, Events: events}
	ld.heldBytes = bytes
	ld.heldEvents = int64(len(events))
	return nil
}

// popMem drops the oldest in-memory record. p.mu must be held.
func (p *Pipeline) popMem() {
	p.memBytes -= p.mem[0].size
	p.mem[0] = memEntry{}
	p.mem = p.mem[1:]
}

// readWAL reads records ld.next..limit from the WAL into events, stopping
// early (full is true) when the next record would overflow the batch.
func (p *Pipeline) readWAL(limit uint64, events *[]event.Event, bytes *int64, seq *uint64) (full bool, err error) {
	ld := &p.ld
	max := p.opts.MaxBatchEvents
	for ld.next <= limit {
		var seg segment
		p.mu.Lock()
		for _, s := range p.segs {
			if s.first <= ld.next {
				seg = *s
			}
		}
		p.mu.Unlock()
		if seg.first == 0 {
			return false, fmt.Errorf("WAL record %d is in no segment", ld.next)
		}
		if ld.cur.seg != seg.first {
			ld.cur = position{seg: seg.first}
		}
		if ld.fseg != seg.first || ld.f == nil {
			ld.closeFile()
			f, err := os.Open(seg.path)
			if err != nil {
				return false, fmt.Errorf("cannot open WAL segment %q: %w", seg.path, err)
			}
			ld.f, ld.fseg = f, seg.first
		}
		if ld.br == nil {
			ld.br = bufio.NewReaderSize(nil, 1<<20)
		}
		ld.br.Reset(io.NewSectionReader(ld.f, ld.cur.off, seg.size-ld.cur.off))
		rr := &recordReader{r: ld.br, off: ld.cur.off}
		start := ld.next
		for ld.next <= limit {
			rec, rseq, off, err := rr.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				return false, fmt.Errorf("cannot read WAL segment %q: %w", seg.path, err)
			}
			if rseq < ld.next {
				ld.cur.off = rr.off
				continue
			}
			if rseq != ld.next {
				return false, fmt.Errorf("WAL segment %q: record at offset %d has seq %d, want %d", seg.path, off, rseq, ld.next)
			}
			if n := recordEvents(rec); len(*events) > 0 && int64(len(*events))+n > int64(max) {
				return true, nil
			}
			evs, err := decodeEvents(rec[headerSize+8:])
			if err != nil {
				return false, fmt.Errorf("cannot decode WAL record %d in %q: %w", rseq, seg.path, err)
			}
			*events = append(*events, evs...)
			*bytes += int64(len(rec))
			*seq = rseq
			ld.next++
			ld.cur.off = rr.off
			if len(*events) >= max {
				return true, nil
			}
		}
		if ld.next == start && ld.next <= limit {
			return false, fmt.Errorf("WAL record %d is missing from segment %q", ld.next, seg.path)
		}
	}
	return false, nil
}

// appendRetry appends b, retrying with backoff until it is committed or ctx
// ends. It never moves on to a later batch.
func (p *Pipeline) appendRetry(ctx context.Context, b store.Batch) error {
	backoff := 50 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := p.w.Append(ctx, b)
		if err == nil {
			p.ld.lastErr = nil
			return nil
		}
		if ctx.Err() != nil {
			return fmt.Errorf("cannot append batch %d: %w", b.Seq, ctx.Err())
		}
		p.st.loadErrors.Add(1)
		// An error after the commit reached disk must not load the
		// batch twice.
		if s, lerr := p.w.LastSeq(ctx); lerr == nil && s >= b.Seq {
			p.log.Warn("store append reported an error but committed the batch", "seq", b.Seq, "err", err)
			p.ld.lastErr = nil
			return nil
		}
		p.ld.lastErr = err
		p.log.Error("cannot append batch to the store; retrying",
			"seq", b.Seq, "events", len(b.Events), "attempt", attempt, "retry_in", backoff, "err", err)
		t := time.NewTimer(backoff)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("cannot append batch %d: %w", b.Seq, errors.Join(err, ctx.Err()))
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// committed records that the store holds everything up to seq (appended in
// took), releases the
// backlog budget and deletes the segments no longer needed.
func (p *Pipeline) committed(seq uint64, bytes, events int64, took time.Duration) {
	p.st.observeLoad(bytes, took)
	p.release(bytes, events)
	p.st.eventsLoaded.Add(uint64(events))
	p.st.batchesLoaded.Add(1)
	p.st.loadedSeq.Store(seq)
	p.removeSegments(seq)
	p.mu.Lock()
	p.loaded = seq
	p.unloaded -= events
	close(p.progress)
	p.progress = make(chan struct{})
	p.mu.Unlock()
}

// removeSegments deletes every segment, except the one being written, whose
// records are all at or below seq, and reports whether there was one.
func (p *Pipeline) removeSegments(seq uint64) bool {
	p.mu.Lock()
	var drop []*segment
	for len(p.segs) > 1 && p.segs[1].first <= seq+1 {
		drop = append(drop, p.segs[0])
		p.segs = p.segs[1:]
	}
	p.mu.Unlock()
	for _, s := range drop {
		if p.ld.f != nil && p.ld.fseg == s.first {
			p.ld.closeFile()
		}
		if err := os.Remove(s.path); err != nil {
			p.log.Error("cannot remove loaded WAL segment", "segment", s.path, "err", err)
		}
	}
	return len(drop) > 0
}
