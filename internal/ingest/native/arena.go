package native

import (
	"unsafe"

	"github.com/lore-dev/lore/internal/event"
)

// The decoder's hot path makes strings and attribute slices from chunks
// instead of one allocation each. A chunk is only ever appended to, and
// the bytes handed out are never written again, so the strings made over
// them stay immutable; the events keep their chunks alive.

const (
	arenaChunk   = 64 << 10
	attrChunk    = 1024
	maxInternKey = 4096 // distinct keys remembered per Decode call
)

// str copies b into the arena and returns it as a string.
func (d *decoder) str(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > arenaChunk/4 {
		return string(b)
	}
	if cap(d.arena)-len(d.arena) < len(b) {
		d.arena = make([]byte, 0, arenaChunk)
	}
	start := len(d.arena)
	d.arena = append(d.arena, b...)
	s := d.arena[start:len(d.arena):len(d.arena)]
	return unsafe.String(unsafe.SliceData(s), len(s))
}

// key returns b as a string, shared by every field with the same key.
// Lines of one body tend to have the same keys in the same order, so the
// key of the field at the same position in the previous line is tried
// first.
func (d *decoder) key(b []byte) string {
	pos := d.fieldPos
	d.fieldPos++
	if pos < len(d.lastKeys) && d.lastKeys[pos] == string(b) {
		return d.lastKeys[pos]
	}
	s := d.internKey(b)
	if pos < len(d.lastKeys) {
		d.lastKeys[pos] = s
	}
	return s
}

func (d *decoder) internKey(b []byte) string {
	if s, ok := d.keys[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(d.keys) < maxInternKey {
		if d.keys == nil {
			d.keys = make(map[string]string, 64)
		}
		d.keys[s] = s
	}
	return s
}

// attrSpace gives e room for attributes in the current chunk.
func (d *decoder) attrSpace(e *event.Event) {
	if cap(d.attrs)-len(d.attrs) < 16 {
		d.attrs = make([]event.Attr, 0, attrChunk)
	}
	e.Attributes = d.attrs[len(d.attrs):len(d.attrs)]
}

// attrDone takes e's attributes out of the chunk, if they stayed in it.
func (d *decoder) attrDone(e *event.Event) {
	n := len(e.Attributes)
	if n == 0 {
		e.Attributes = nil
		return
	}
	if rest := d.attrs[len(d.attrs):cap(d.attrs)]; n <= len(rest) && &rest[0] == &e.Attributes[0] {
		d.attrs = d.attrs[:len(d.attrs)+n]
	}
	e.Attributes = e.Attributes[:n:n]
}
