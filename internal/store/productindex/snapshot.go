package productindex

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"slices"
)

// The product index is saved to a snapshot file when the store closes,
// stamped with the store's last batch seq and event count. Open loads it
// when both still match (nothing was appended since), which takes a
// fraction of a second where rebuilding from the events table takes about
// 5µs an event; otherwise (a crash, an old file) it rebuilds.

const productSnapshotMagic = "lore-product-index-2\n"

// WriteSnapshot writes the index, stamped with the store's last batch
// seq and event count.
func (x *Index) WriteSnapshot(w *bufio.Writer, seq uint64, events int64) error {
	x.mu.RLock()
	defer x.mu.RUnlock()
	return x.write(w, seq, events)
}

// ReadSnapshot reads an index WriteSnapshot wrote; ok is false when its
// stamp is not (seq, events): the store appended since, so the snapshot
// is stale.
func ReadSnapshot(r *bufio.Reader, seq uint64, events int64, clean func(string) string) (x *Index, rows int, ok bool, err error) {
	x = New(clean)
	rows, ok, err = x.read(r, seq, events)
	if err != nil || !ok {
		return nil, rows, ok, err
	}
	return x, rows, true, nil
}

type snapWriter struct {
	w   *bufio.Writer
	b   []byte
	err error
}

func (s *snapWriter) flush() {
	if s.err == nil {
		_, s.err = s.w.Write(s.b)
	}
	s.b = s.b[:0]
}

func (s *snapWriter) u64(v uint64) {
	s.b = binary.LittleEndian.AppendUint64(s.b, v)
	if len(s.b) >= 1<<16 {
		s.flush()
	}
}

func (s *snapWriter) u32(v uint32) {
	s.b = binary.LittleEndian.AppendUint32(s.b, v)
	if len(s.b) >= 1<<16 {
		s.flush()
	}
}

func (s *snapWriter) str(v string) {
	s.u32(uint32(len(v)))
	s.b = append(s.b, v...)
	if len(s.b) >= 1<<16 {
		s.flush()
	}
}

// write encodes the index (its lock held).
func (x *Index) write(w *bufio.Writer, seq uint64, events int64) error {
	sw := &snapWriter{w: w}
	sw.b = append(sw.b, productSnapshotMagic...)
	sw.u64(seq)
	sw.u64(uint64(events))
	ids := make([]int64, 0, len(x.projects))
	for id := range x.projects {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	sw.u32(uint32(len(ids)))
	for _, id := range ids {
		p := x.projects[id]
		sw.u64(uint64(id))
		sw.u32(uint32(len(p.keys)))
		for i, k := range p.keys {
			sw.str(k)
			sw.u32(p.alias[i])
		}
		sw.u32(uint32(len(p.labels)))
		for _, l := range p.labels {
			sw.str(l)
		}
		sw.u32(uint32(len(p.syms)))
		for _, sy := range p.syms {
			sw.u32(uint32(sy.flags))
			sw.str(sy.name)
			sw.u32(sy.label)
		}
		// Rows in arrival order: read back, their positions are their seq.
		sw.u64(uint64(len(p.ts)))
		for _, i := range p.arrivalOrder() {
			sw.u64(uint64(p.ts[i]))
			sw.u32(p.key[i])
			sw.u32(p.sym[i])
		}
	}
	sw.flush()
	return sw.err
}

type snapReader struct {
	r   *bufio.Reader
	b   [8]byte
	err error
}

func (s *snapReader) u64() uint64 {
	if s.err != nil {
		return 0
	}
	if _, s.err = io.ReadFull(s.r, s.b[:8]); s.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint64(s.b[:8])
}

func (s *snapReader) u32() uint32 {
	if s.err != nil {
		return 0
	}
	if _, s.err = io.ReadFull(s.r, s.b[:4]); s.err != nil {
		return 0
	}
	return binary.LittleEndian.Uint32(s.b[:4])
}

func (s *snapReader) str() string {
	n := s.u32()
	if s.err != nil {
		return ""
	}
	if n > 1<<24 {
		s.err = fmt.Errorf("string of %d bytes", n)
		return ""
	}
	b := make([]byte, n)
	_, s.err = io.ReadFull(s.r, b)
	return string(b)
}

// count reads a length, refusing one larger than limit.
func (s *snapReader) count(limit uint64) int {
	n := s.u64()
	if n > limit {
		s.err = fmt.Errorf("count %d exceeds %d", n, limit)
		return 0
	}
	return int(n)
}

// read decodes a snapshot into the empty x; ok is false when its stamp
// is not (seq, events).
func (x *Index) read(r *bufio.Reader, seq uint64, events int64) (rows int, ok bool, err error) {
	magic := make([]byte, len(productSnapshotMagic))
	if _, err := io.ReadFull(r, magic); err != nil || string(magic) != productSnapshotMagic {
		return 0, false, fmt.Errorf("not a product index snapshot (%q)", magic)
	}
	sr := &snapReader{r: r}
	if sr.u64() != seq || int64(sr.u64()) != events || sr.err != nil {
		return 0, false, sr.err
	}
	const maxCount = 1 << 32
	for range int(sr.u32()) {
		p := x.project(int64(sr.u64()))
		if sr.err != nil {
			return 0, false, sr.err
		}
		nk := int(sr.u32())
		c := min(nk, 1<<16) // grown as read: a corrupt count cannot allocate much
		p.keys, p.alias = make([]string, 0, c), make([]uint32, 0, c)
		p.keyIDs = make(map[string]uint32, c)
		for i := range nk {
			k := sr.str()
			a := sr.u32()
			if sr.err != nil {
				return 0, false, sr.err
			}
			if a >= uint32(nk) {
				return 0, false, fmt.Errorf("key %d aliases %d of %d", i, a, nk)
			}
			p.keyIDs[k] = uint32(i)
			p.keys, p.alias = append(p.keys, k), append(p.alias, a)
		}
		for range int(sr.u32()) {
			l := sr.str()
			if sr.err != nil {
				return 0, false, sr.err
			}
			p.labelIDs[l] = uint32(len(p.labels))
			p.labels = append(p.labels, l)
		}
		for range int(sr.u32()) {
			f, name, l := uint8(sr.u32()), sr.str(), sr.u32()
			if sr.err != nil {
				return 0, false, sr.err
			}
			if int(l) >= len(p.labels) {
				return 0, false, fmt.Errorf("symbol %q has label %d of %d", name, l, len(p.labels))
			}
			p.symIDs[symKey{f, name, p.labels[l]}] = uint32(len(p.syms))
			p.syms = append(p.syms, productSym{flags: f, name: name, label: l})
		}
		n := sr.count(maxCount)
		c = min(n, 1<<16)
		p.ts, p.key, p.sym = make([]int64, 0, c), make([]uint32, 0, c), make([]uint32, 0, c)
		for i := range n {
			t, k, sy := int64(sr.u64()), sr.u32(), sr.u32()
			if sr.err != nil {
				return 0, false, sr.err
			}
			if k >= uint32(nk) || int(sy) >= len(p.syms) {
				return 0, false, fmt.Errorf("row %d: key %d or symbol %d out of range", i, k, sy)
			}
			p.addRow(t, k, sy)
		}
		if sr.err != nil {
			return 0, false, sr.err
		}
		p.compact()
		rows += n
	}
	return rows, sr.err == nil, sr.err
}
