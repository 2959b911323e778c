// Package dedup remembers the ids of recently stored records, so that a
// shipper's retry of a request Lore already stored (its answer was lost, or
// only some items failed) is not stored twice. Protocols that give ids use
// it: Elasticsearch bulk's _id, Fluent forward's chunk. The memory is
// bounded: the window holds the last Size ids (two generations of Size/2),
// and it lives in memory, so it covers retries, not replays across a
// restart.
package dedup

import (
	"strconv"
	"sync"

	"github.com/cespare/xxhash/v2"
)

// State of an id in the window.
type State int

// States Reserve reports.
const (
	Fresh   State = iota // not seen: reserved now, call Commit or Release
	Pending              // reserved by a request still being stored
	Stored               // stored before: a retry
)

// Window is a bounded set of recently stored ids, safe for concurrent use.
type Window struct {
	mu       sync.Mutex
	half     int
	cur      map[uint64]bool // id hash → stored (false: pending)
	prev     map[uint64]bool
	disabled bool
}

// New returns a window remembering about size ids; size <= 0 disables it
// (every id is Fresh).
func New(size int) *Window {
	if size <= 0 {
		return &Window{disabled: true}
	}
	h := max(size/2, 1)
	return &Window{half: h, cur: make(map[uint64]bool), prev: map[uint64]bool{}}
}

// Key is the hash of an id within its scope (project, index, protocol).
func Key(project int64, scope, id string) uint64 {
	var d xxhash.Digest
	d.Reset()
	var b [20]byte
	d.Write(strconv.AppendInt(b[:0], project, 10))
	d.WriteString("\x00")
	d.WriteString(scope)
	d.WriteString("\x00")
	d.WriteString(id)
	return d.Sum64()
}

// Reserve looks key up and, when it is new, reserves it as pending.
func (w *Window) Reserve(key uint64) State {
	if w.disabled {
		return Fresh
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	stored, ok := w.cur[key]
	if !ok {
		stored, ok = w.prev[key]
	}
	switch {
	case ok && stored:
		return Stored
	case ok:
		return Pending
	}
	w.put(key, false)
	return Fresh
}

// Commit marks reserved keys as stored.
func (w *Window) Commit(keys []uint64) {
	if w.disabled || len(keys) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		delete(w.prev, k)
		w.put(k, true)
	}
}

// Release forgets reserved keys whose records were not stored, so a retry
// stores them.
func (w *Window) Release(keys []uint64) {
	if w.disabled || len(keys) == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, k := range keys {
		if stored, ok := w.cur[k]; ok && !stored {
			delete(w.cur, k)
		}
		if stored, ok := w.prev[k]; ok && !stored {
			delete(w.prev, k)
		}
	}
}

// Len is the number of ids remembered.
func (w *Window) Len() int {
	if w.disabled {
		return 0
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.cur) + len(w.prev)
}

func (w *Window) put(k uint64, stored bool) {
	if len(w.cur) >= w.half {
		w.prev, w.cur = w.cur, make(map[uint64]bool, w.half)
	}
	w.cur[k] = stored
}
