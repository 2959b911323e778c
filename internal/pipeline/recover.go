package pipeline

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
)

// recover scans the WAL, truncates a torn tail, works out what the store
// lacks, positions the loader at it and opens the segment to write.
func (p *Pipeline) recover(ctx context.Context) error {
	dir := p.opts.Dir
	storeSeq, err := p.w.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("cannot read the store's last seq: %w", err)
	}
	segs, err := listSegments(dir)
	if err != nil {
		return err
	}
	var (
		expect     uint64 // seq the next record must have; 0 before the first
		firstAbove uint64 // seq of the first record above storeSeq, 0 if none
		pendBytes  int64
		pendEvents int64
	)
	for i, s := range segs {
		if expect != 0 && s.first != expect {
			return fmt.Errorf("WAL segment %q should start at seq %d: records are missing", s.path, expect)
		}
		expect = s.first
		last := i == len(segs)-1
		end, err := scanSegment(s, expect, last, func(seq uint64, off int64, rec []byte) {
			if seq <= storeSeq {
				return
			}
			if firstAbove == 0 {
				firstAbove = seq
				p.ld.cur = position{seg: s.first, off: off}
			}
			pendBytes += int64(len(rec))
			pendEvents += recordEvents(rec)
		})
		if errors.Is(err, errTorn) && last {
			p.log.Warn("truncating torn tail of WAL segment (a crash interrupted a write that was never acknowledged)",
				"segment", s.path, "offset", s.size, "err", err)
			if err := truncateFile(s.path, s.size); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		expect = end
	}
	walLast := uint64(0)
	if expect > 0 {
		walLast = expect - 1
	}
	nextSeq := max(walLast, storeSeq) + 1
	if len(segs) > 0 && walLast < storeSeq && walLast >= segs[0].first {
		p.log.Warn("the store is ahead of the WAL; continuing after the store's last seq", "store_seq", storeSeq, "wal_last_seq", walLast)
	}
	if firstAbove > storeSeq+1 {
		p.log.Warn("the store lacks records the WAL no longer holds", "store_seq", storeSeq, "wal_first_seq", firstAbove)
	}

	// Write to the last segment if it continues at nextSeq and has room;
	// otherwise start a new one.
	var active *segment
	if n := len(segs); n > 0 {
		last := segs[n-1]
		if expect == nextSeq && last.size < p.opts.SegmentBytes {
			active = last
		} else if last.size == 0 {
			if err := os.Remove(last.path); err != nil {
				return fmt.Errorf("cannot remove empty WAL segment %q: %w", last.path, err)
			}
			segs = segs[:n-1]
		}
	}
	if active != nil {
		f, err := os.OpenFile(active.path, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			return fmt.Errorf("cannot open WAL segment %q: %w", active.path, err)
		}
		p.cm.f = f
	} else {
		active = &segment{first: nextSeq, path: segmentPath(dir, nextSeq)}
		f, err := createSegment(active.path)
		if err != nil {
			return err
		}
		p.cm.f = f
		segs = append(segs, active)
		if err := syncDir(dir); err != nil {
			return err
		}
	}
	p.cm.seg, p.cm.written, p.cm.next = active, active.size, nextSeq

	p.segs = segs
	p.durable = nextSeq - 1
	p.st.lastSeq.Store(p.durable)
	if firstAbove != 0 {
		p.ld.next = firstAbove
	} else {
		p.ld.next = nextSeq
		p.ld.cur = position{seg: active.first, off: active.size}
	}
	p.loaded = p.ld.next - 1
	p.st.loadedSeq.Store(p.loaded)
	p.unloaded = pendEvents
	p.pendingBytes.Store(pendBytes)
	p.pendingEvents.Store(pendEvents)
	if pendEvents > 0 {
		p.log.Info("replaying WAL into the store", "from_seq", p.ld.next, "to_seq", walLast, "events", pendEvents, "bytes", pendBytes)
	}
	p.removeSegments(p.loaded)
	return nil
}

// scanSegment checks every record of s, which must start at seq first, and
// sets s.size to the end of the last whole record. It returns the seq after
// the last record, and an error wrapping errTorn if bytes follow that are
// not a whole valid record.
func scanSegment(s *segment, first uint64, last bool, fn func(seq uint64, off int64, rec []byte)) (uint64, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return 0, fmt.Errorf("cannot open WAL segment %q: %w", s.path, err)
	}
	defer f.Close()
	rr := newRecordReader(f, 0)
	expect := first
	for {
		rec, seq, off, err := rr.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			s.size = rr.off
			if errors.Is(err, errTorn) && last {
				return expect, err
			}
			return 0, fmt.Errorf("WAL segment %q is corrupt: %w", s.path, err)
		}
		if seq != expect {
			return 0, fmt.Errorf("WAL segment %q: record at offset %d has seq %d, want %d", s.path, off, seq, expect)
		}
		fn(seq, off, rec)
		expect++
	}
	s.size = rr.off
	return expect, nil
}

// truncateFile cuts path to size bytes, durably.
func truncateFile(path string, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("cannot open WAL segment %q: %w", path, err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return fmt.Errorf("cannot truncate WAL segment %q to %d bytes: %w", path, size, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("cannot sync WAL segment %q: %w", path, err)
	}
	return nil
}
