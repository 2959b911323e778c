package pipeline

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// maxGroupBytes stops gathering a group once it holds this much, so one
// write stays reasonably sized.
const maxGroupBytes = 16 << 20

// committer is the state of the one goroutine that writes the WAL.
type committer struct {
	f       *os.File
	seg     *segment // the segment f writes; also the last of Pipeline.segs
	written int64    // bytes written to f
	next    uint64   // seq of the next record
	buf     []byte
	group   []*request
}

func (c *committer) closeFile() {
	if c.f != nil {
		_ = c.f.Close()
		c.f = nil
	}
}

// runCommitter takes every request queued so far, writes them with one
// write and one fsync, then acknowledges them all; until Close closes reqs.
func (p *Pipeline) runCommitter() {
	defer close(p.commitDone)
	c := &p.cm
	for {
		r, ok := <-p.reqs
		if !ok {
			return
		}
		if r.rotate {
			p.rotateFor(r)
			continue
		}
		group := append(c.group[:0], r)
		bytes := len(*r.buf)
		open := true
		// A Rotate ends the group: it is answered once the group is
		// written, so that the group goes to the segment it closes.
		var rot *request
		if p.opts.CommitWindow > 0 {
			t := time.NewTimer(p.opts.CommitWindow)
		gather:
			for bytes < maxGroupBytes {
				select {
				case r, ok := <-p.reqs:
					if !ok {
						open = false
						break gather
					}
					if r.rotate {
						rot = r
						break gather
					}
					group = append(group, r)
					bytes += len(*r.buf)
				case <-t.C:
					break gather
				}
			}
			t.Stop()
		}
	drain:
		for open && rot == nil && bytes < maxGroupBytes {
			select {
			case r, ok := <-p.reqs:
				if !ok {
					open = false
					break drain
				}
				if r.rotate {
					rot = r
					break drain
				}
				group = append(group, r)
				bytes += len(*r.buf)
			default:
				break drain
			}
		}
		p.commitGroup(group, bytes)
		clear(group)
		c.group = group[:0]
		if rot != nil {
			p.rotateFor(rot)
		}
		if !open {
			return
		}
	}
}

// commitGroup writes, syncs, publishes to the loader and acknowledges one
// group of requests.
func (p *Pipeline) commitGroup(group []*request, bytes int) {
	c := &p.cm
	p.mu.Lock()
	broken := p.broken
	p.mu.Unlock()
	if broken != nil {
		p.fail(group, broken)
		return
	}
	if c.written > 0 && c.written+int64(bytes) > p.opts.SegmentBytes {
		if err := p.rotate(); err != nil {
			p.fail(group, err)
			return
		}
	}
	first := c.next
	buf := c.buf[:0]
	for _, r := range group {
		sealRecord(*r.buf, c.next)
		c.next++
		buf = append(buf, *r.buf...)
	}
	if cap(buf) <= 2*maxGroupBytes {
		c.buf = buf
	}
	if _, err := c.f.Write(buf); err != nil {
		// Say the disk is full: cut off what part of the group made it,
		// so that the segment ends with a whole record again, and go on.
		err = fmt.Errorf("cannot write WAL segment %q: %w", c.seg.path, err)
		if terr := c.f.Truncate(c.written); terr != nil {
			err = p.breakWAL(errors.Join(err, fmt.Errorf("cannot truncate WAL segment %q back to %d bytes: %w", c.seg.path, c.written, terr)))
		}
		c.next = first
		p.fail(group, err)
		return
	}
	start := time.Now()
	if err := c.f.Sync(); err != nil {
		// After a failed fsync the kernel may have dropped the dirty
		// pages: nothing written since the last good sync can be
		// trusted, so the WAL stops here.
		p.fail(group, p.breakWAL(fmt.Errorf("cannot sync WAL segment %q: %w", c.seg.path, err)))
		return
	}
	p.st.observeFsync(time.Since(start))

	var events int64
	p.mu.Lock()
	off := c.written
	for i, r := range group {
		size := int64(len(*r.buf))
		off += size
		events += int64(len(r.events))
		if p.memBytes+size <= p.opts.MaxMemoryBytes {
			p.mem = append(p.mem, memEntry{seq: first + uint64(i), seg: c.seg.first, end: off, size: size, events: r.events})
			p.memBytes += size
		}
	}
	c.written = off
	c.seg.size = off
	p.durable = c.next - 1
	p.unloaded += events
	wake := p.unloaded >= int64(p.opts.MaxBatchEvents)
	p.mu.Unlock()

	p.st.groups.Add(1)
	p.st.eventsLogged.Add(uint64(events))
	p.st.bytesLogged.Add(uint64(len(buf)))
	p.st.lastSeq.Store(c.next - 1)
	if wake {
		p.nudge()
	}
	for _, r := range group {
		r.done <- nil
		p.putBuf(r.buf)
		r.buf = nil
	}
}

// fail answers a group that was not logged and returns its budget.
func (p *Pipeline) fail(group []*request, err error) {
	for _, r := range group {
		p.release(int64(len(*r.buf)), int64(len(r.events)))
		r.done <- err
	}
}

// breakWAL records a write failure: from now on every Submit fails with
// it. The records already synced are still loaded.
func (p *Pipeline) breakWAL(err error) error {
	p.log.Error("WAL write failed; refusing further ingest", "err", err)
	p.mu.Lock()
	if p.broken == nil {
		p.broken = err
	}
	err = p.broken
	p.mu.Unlock()
	return err
}

// rotateFor answers a Rotate: the segment being written is closed, when
// it holds a record, and a new one started; r.first is the new one's.
func (p *Pipeline) rotateFor(r *request) {
	c := &p.cm
	p.mu.Lock()
	broken := p.broken
	p.mu.Unlock()
	if broken != nil {
		r.done <- broken
		return
	}
	if c.written > 0 {
		if err := p.rotate(); err != nil {
			r.done <- err
			return
		}
	}
	r.first = c.seg.first
	r.done <- nil
}

// rotate starts a new segment for the records from c.next on.
func (p *Pipeline) rotate() error {
	c := &p.cm
	seg := &segment{first: c.next, path: segmentPath(p.opts.Dir, c.next)}
	f, err := createSegment(seg.path)
	if err != nil {
		return err
	}
	if err := syncDir(p.opts.Dir); err != nil {
		_ = f.Close()
		_ = os.Remove(seg.path)
		return err
	}
	c.closeFile()
	c.f, c.seg, c.written = f, seg, 0
	p.mu.Lock()
	p.segs = append(p.segs, seg)
	p.mu.Unlock()
	return nil
}

// createSegment creates a new, empty segment file. Segments are always
// written in append mode, so that truncating a failed write away leaves
// the next write at the end.
func createSegment(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot create WAL segment %q: %w", path, err)
	}
	return f, nil
}
