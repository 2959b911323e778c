package pipeline

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// The WAL is a directory of segment files named after the seq of their
// first record (%020d.wal), holding contiguous records. Only the newest
// segment is written; a segment is deleted once the store has committed
// every record in it.

const segmentExt = ".wal"

// segment describes one segment file. size is the number of bytes known to
// hold whole, synced records; the loader never reads past it.
type segment struct {
	first uint64
	path  string
	size  int64
}

func segmentPath(dir string, first uint64) string {
	return filepath.Join(dir, fmt.Sprintf("%020d%s", first, segmentExt))
}

// listSegments returns the segments in dir, oldest first.
func listSegments(dir string) ([]*segment, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot list WAL directory %q: %w", dir, err)
	}
	var segs []*segment
	for _, e := range ents {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, segmentExt) {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(name, segmentExt), 10, 64)
		if err != nil || first == 0 {
			return nil, fmt.Errorf("unexpected file %q in WAL directory %q", name, dir)
		}
		segs = append(segs, &segment{first: first, path: filepath.Join(dir, name)})
	}
	slices.SortFunc(segs, func(a, b *segment) int {
		switch {
		case a.first < b.first:
			return -1
		case a.first > b.first:
			return 1
		}
		return 0
	})
	return segs, nil
}

// recordReader reads whole, checksummed records from a segment.
type recordReader struct {
	r   *bufio.Reader
	off int64 // file offset of the next record
	buf []byte
}

func newRecordReader(r io.Reader, off int64) *recordReader {
	return &recordReader{r: bufio.NewReaderSize(r, 1<<20), off: off}
}

// next returns the next record (valid until the following call), its seq
// and its file offset. It returns io.EOF at a clean end, and an error
// wrapping errTorn when the bytes that follow are not a whole valid record.
func (rr *recordReader) next() (rec []byte, seq uint64, off int64, err error) {
	var hdr [headerSize]byte
	n, err := io.ReadFull(rr.r, hdr[:])
	if err == io.EOF {
		return nil, 0, 0, io.EOF
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("header at offset %d: %d bytes: %w", rr.off, n, errTorn)
	}
	size, err := recordLen(hdr[:])
	if err != nil {
		return nil, 0, 0, fmt.Errorf("record at offset %d: %w", rr.off, err)
	}
	if cap(rr.buf) < size {
		rr.buf = make([]byte, size)
	}
	rec = rr.buf[:size]
	copy(rec, hdr[:])
	if _, err := io.ReadFull(rr.r, rec[headerSize:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, 0, 0, fmt.Errorf("record at offset %d of %d bytes: %w", rr.off, size, errTorn)
		}
		return nil, 0, 0, fmt.Errorf("cannot read record at offset %d: %w", rr.off, err)
	}
	seq, err = checkRecord(rec)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("record at offset %d: %w", rr.off, err)
	}
	off = rr.off
	rr.off += int64(size)
	return rec, seq, off, nil
}

// recordEvents returns the number of events a checked record holds.
func recordEvents(rec []byte) int64 {
	n, _ := binary.Uvarint(rec[headerSize+8:])
	return int64(n)
}

// syncDir makes the creation or removal of files in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cannot open WAL directory %q: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("cannot sync WAL directory %q: %w", dir, err)
	}
	return nil
}
