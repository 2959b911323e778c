package pipeline

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"

	"github.com/lore-dev/lore/internal/event"
)

// A WAL record is one Submit call:
//
//	uint32 LE  payload length
//	uint32 LE  CRC-32C (Castagnoli) of the payload
//	payload:
//	  uint64 LE  seq
//	  uvarint    number of events
//	  events     (see codec.go)
//
// The length and checksum let Open tell a record cut short by a crash (a
// torn tail) from a complete one.
const (
	headerSize     = 8
	minPayload     = 8 + 1
	maxRecordBytes = 1 << 30
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// errTorn marks a record that is incomplete or fails its checksum: what a
// crash in the middle of a write leaves at the end of a segment.
var errTorn = errors.New("torn or corrupt record")

// encodeRecord builds the record for events with its seq and checksum left
// blank; sealRecord fills them in once the committer has assigned the seq.
// The encoding runs on the submitting goroutine, off the commit path.
func encodeRecord(buf []byte, events []event.Event) []byte {
	buf = append(buf[:0], make([]byte, headerSize+8)...)
	buf = binary.AppendUvarint(buf, uint64(len(events)))
	for i := range events {
		buf = appendEvent(buf, &events[i])
	}
	return buf
}

// sealRecord writes seq, the length and the checksum into rec.
func sealRecord(rec []byte, seq uint64) {
	binary.LittleEndian.PutUint64(rec[headerSize:], seq)
	binary.LittleEndian.PutUint32(rec[0:], uint32(len(rec)-headerSize))
	binary.LittleEndian.PutUint32(rec[4:], crc32.Checksum(rec[headerSize:], castagnoli))
}

// recordLen reads a record header and returns the whole record's length.
func recordLen(hdr []byte) (int, error) {
	if len(hdr) < headerSize {
		return 0, fmt.Errorf("header of %d bytes: %w", len(hdr), errTorn)
	}
	n := binary.LittleEndian.Uint32(hdr)
	if n < minPayload || n > maxRecordBytes {
		return 0, fmt.Errorf("payload length %d: %w", n, errTorn)
	}
	return headerSize + int(n), nil
}

// checkRecord verifies the checksum of a whole record and returns its seq.
func checkRecord(rec []byte) (uint64, error) {
	n, err := recordLen(rec)
	if err != nil {
		return 0, err
	}
	if len(rec) < n {
		return 0, fmt.Errorf("record of %d bytes cut at %d: %w", n, len(rec), errTorn)
	}
	want := binary.LittleEndian.Uint32(rec[4:])
	if got := crc32.Checksum(rec[headerSize:n], castagnoli); got != want {
		return 0, fmt.Errorf("checksum %#x, want %#x: %w", got, want, errTorn)
	}
	return binary.LittleEndian.Uint64(rec[headerSize:]), nil
}

// decodeRecord decodes the record at the start of b. It returns the record's
// seq, its events and its length in bytes. It never panics, whatever b holds.
func decodeRecord(b []byte) (seq uint64, events []event.Event, n int, err error) {
	seq, err = checkRecord(b)
	if err != nil {
		return 0, nil, 0, err
	}
	n, _ = recordLen(b)
	events, err = decodeEvents(b[headerSize+8 : n])
	if err != nil {
		return 0, nil, 0, fmt.Errorf("cannot decode record %d: %w", seq, err)
	}
	return seq, events, n, nil
}

// decodeEvents decodes the event count and events of a record payload
// (after the seq).
func decodeEvents(p []byte) ([]event.Event, error) {
	d := eventDecoder{src: string(p)}
	count, err := d.uvarint()
	if err != nil {
		return nil, fmt.Errorf("cannot read event count: %w", err)
	}
	// An event takes at least four bytes (mask, project, ts, received_at),
	// which bounds the count by the input before we allocate for it.
	if count > uint64(len(p)-d.off)/4 {
		return nil, fmt.Errorf("event count %d exceeds the %d bytes left", count, len(p)-d.off)
	}
	events := make([]event.Event, count)
	for i := range events {
		if err := d.event(&events[i]); err != nil {
			return nil, fmt.Errorf("event %d: %w", i, err)
		}
	}
	if d.off != len(d.src) {
		return nil, fmt.Errorf("%d trailing bytes after %d events", len(d.src)-d.off, count)
	}
	return events, nil
}
