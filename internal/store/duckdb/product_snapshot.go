package duckdb

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
)

// The product index is saved to productSnapshotFile when the store closes,
// stamped with the store's last batch seq and event count. Open loads it
// when both still match (nothing was appended since), which takes a
// fraction of a second where rebuilding from the events table takes about
// 5µs an event; otherwise (a crash, an old file) it rebuilds.

const (
	productSnapshotFile  = "product.idx"
	productSnapshotMagic = "lore-product-index-2\n"
)

// ingestMark is the store's last batch seq and event count.
func (s *Store) ingestMark(ctx context.Context) (seq uint64, events int64, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT seq, events FROM ingest_state WHERE id = 1`).Scan(&seq, &events)
	if err != nil {
		return 0, 0, fmt.Errorf("read ingest state: %w", err)
	}
	return seq, events, nil
}

// saveProductIndex writes the snapshot; Close calls it once no Append can
// run. A failure is logged: the next Open rebuilds instead.
func (s *Store) saveProductIndex(ctx context.Context) {
	if s.product == nil {
		return
	}
	path := filepath.Join(s.dir, productSnapshotFile)
	err := func() error {
		seq, events, err := s.ingestMark(ctx)
		if err != nil {
			return err
		}
		tmp := path + ".tmp"
		f, err := os.Create(tmp)
		if err != nil {
			return fmt.Errorf("create %q: %w", tmp, err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		s.product.mu.RLock()
		err = s.product.write(w, seq, events)
		s.product.mu.RUnlock()
		if err == nil {
			err = w.Flush()
		}
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write %q: %w", tmp, err)
		}
		return os.Rename(tmp, path)
	}()
	if err != nil {
		s.log.Warn("cannot save the product index; the next start rebuilds it", "path", path, "err", err)
	}
}

// loadProductSnapshot loads the snapshot if it matches the store; ok is
// false when there is none or it is stale.
func (s *Store) loadProductSnapshot(ctx context.Context) (rows int, ok bool, err error) {
	path := filepath.Join(s.dir, productSnapshotFile)
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("open %q: %w", path, err)
	}
	defer f.Close()
	seq, events, err := s.ingestMark(ctx)
	if err != nil {
		return 0, false, err
	}
	x := newProductIndex()
	rows, ok, err = x.read(bufio.NewReaderSize(f, 1<<20), seq, events)
	if err != nil {
		s.log.Warn("ignoring an unreadable product index snapshot", "path", path, "err", err)
		return 0, false, nil
	}
	if ok {
		s.product = x
	}
	return rows, ok, nil
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
func (x *productIndex) write(w *bufio.Writer, seq uint64, events int64) error {
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
func (x *productIndex) read(r *bufio.Reader, seq uint64, events int64) (rows int, ok bool, err error) {
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
