package blockfilter

import (
	"sort"
	"sync"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

const (
	// Rows and Span bound a block: a block's time range is what a pruned
	// query scans, so it must stay narrow.
	Rows = 16384
	Span = int64(3600 * 1e6) // µs
	// A keys filter has keyBits bits per distinct key and keyK probes:
	// about 0.15% false positives, so that a lookup among the thousand
	// blocks of 10M events scans about one block for nothing.
	keyBits = 14
	keyK    = 9
	// A grams filter is built with 1<<gramLogBits bits and folded while
	// under gramFill of its bits are set (two probes: about 25% false
	// positives per gram at that fill, but a needle must hit all its grams,
	// so an 8-byte needle passes a block without it about 0.1% of the time).
	gramK       = 2
	gramLogBits = 20
	gramFill    = 0.5
)

// Block is one block's time range, rows and filters.
type Block struct {
	MinTS, MaxTS int64
	Rows         int64
	Keys, Grams  *Filter
}

// Placed is a block and its project.
type Placed struct {
	Project int64
	Block   *Block
}

// Cut cuts the events evs[order[i]] (sorted by project, then time) into
// blocks and fills their filters. clean is a string as the store keeps it
// (the filters hash what a lookup will compare).
func Cut(evs []event.Event, order []int32, clean func(string) string) []Placed {
	var out []Placed
	for start := 0; start < len(order); {
		first := &evs[order[start]]
		end := start + 1
		for end < len(order) && end-start < Rows {
			e := &evs[order[end]]
			if e.ProjectID != first.ProjectID || e.TS-first.TS > Span {
				break
			}
			end++
		}
		out = append(out, Placed{first.ProjectID, fill(evs, order[start:end], clean)})
		start = end
	}
	return out
}

func fill(evs []event.Event, idx []int32, clean func(string) string) *Block {
	keys := make(map[uint64]struct{}, len(idx))
	gramBytes := 0
	for _, i := range idx {
		e := &evs[i]
		if !e.TraceID.IsZero() {
			keys[TraceKeyHash(e.TraceID.Hi(), e.TraceID.Lo())] = struct{}{}
		}
		if e.UserID != "" {
			keys[KeyHash(KeyUser, clean(e.UserID))] = struct{}{}
		}
		if e.SessionID != "" {
			keys[KeyHash(KeySess, clean(e.SessionID))] = struct{}{}
		}
		if e.AnonymousID != "" {
			keys[KeyHash(KeyAnon, clean(e.AnonymousID))] = struct{}{}
		}
		gramBytes += len(e.Message)
	}
	kb := New(uint64(len(keys))*keyBits, keyK)
	for h := range keys {
		kb.Add(h)
	}
	// Messages repeat templates, so distinct grams are far fewer than
	// windows: build big, then fold to the fill.
	logBits := uint(gramLogBits)
	for logBits > 6 && uint64(1)<<(logBits-1) > uint64(gramBytes)*8 {
		logBits--
	}
	gb := NewMasking(logBits, gramK)
	for _, i := range idx {
		AddGrams(gb, clean(evs[i].Message))
	}
	gb.Fold(gramFill)
	return &Block{
		MinTS: evs[idx[0]].TS,
		MaxTS: evs[idx[len(idx)-1]].TS,
		Rows:  int64(len(idx)),
		Keys:  kb,
		Grams: gb,
	}
}

// Set holds every block's filters by project, ordered by MinTS. Its
// methods are safe for concurrent use.
type Set struct {
	mu     sync.RWMutex
	byProj map[int64][]*Block
}

// NewSet returns an empty set.
func NewSet() *Set { return &Set{byProj: map[int64][]*Block{}} }

// Add adds a project's block.
func (bs *Set) Add(project int64, b *Block) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	list := bs.byProj[project]
	i := sort.Search(len(list), func(i int) bool { return list[i].MinTS > b.MinTS })
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = b
	bs.byProj[project] = list
}

// Drop forgets a project's blocks that end before ts or begin at one of
// minTS (and are emptied).
func (bs *Set) Drop(project, ts int64, minTS []int64) {
	gone := map[int64]bool{}
	for _, m := range minTS {
		gone[m] = true
	}
	bs.mu.Lock()
	defer bs.mu.Unlock()
	list := bs.byProj[project]
	kept := list[:0:0]
	for _, b := range list {
		if b.MaxTS >= ts && !gone[b.MinTS] {
			kept = append(kept, b)
		}
	}
	bs.byProj[project] = kept
}

// TSRange is a closed range of timestamps [Lo, Hi].
type TSRange struct{ Lo, Hi int64 }

// MaxRanges bounds the UNION ALL branches of one query; closer ranges are
// merged beyond it. A branch costs a few milliseconds even when it reads
// little, so when the candidate blocks hold a third or more of the range's
// rows one plain scan of their whole span is cheaper.
const MaxRanges = 16

// Candidates returns the merged time ranges of the project's blocks that
// overlap [from, to) and pass keep, clipped to [from, to-1].
func (bs *Set) Candidates(project, from, to int64, keep func(*Block) bool) []TSRange {
	bs.mu.RLock()
	list := bs.byProj[project]
	var (
		rs          []TSRange
		kept, total int64
	)
	for _, b := range list {
		if b.MinTS >= to {
			break
		}
		if b.MaxTS < from {
			continue
		}
		total += b.Rows
		if !keep(b) {
			continue
		}
		kept += b.Rows
		rs = append(rs, TSRange{max(b.MinTS, from), min(b.MaxTS, to-1)})
	}
	bs.mu.RUnlock()
	rs = MergeRanges(rs, MaxRanges)
	if len(rs) > 2 && kept*3 >= total {
		rs = []TSRange{{rs[0].Lo, rs[len(rs)-1].Hi}}
	}
	return rs
}

// Words returns the candidate ranges of the blocks whose grams hold every
// word.
func (bs *Set) Words(project, from, to int64, words []string) []TSRange {
	return bs.Candidates(project, from, to, func(b *Block) bool {
		for _, w := range words {
			if !HasGrams(b.Grams, w) {
				return false
			}
		}
		return true
	})
}

// Slices partitions [from, to) into consecutive ranges, newest first, the
// first expected (by the blocks' row counts) to hold about want rows and
// each next one four times as many as the one before; the last reaches
// from.
func (bs *Set) Slices(project, from, to, want int64) []store.Range {
	type span struct{ minTS, maxTS, rows int64 }
	bs.mu.RLock()
	var spans []span
	for _, b := range bs.byProj[project] {
		if b.MinTS >= to {
			break
		}
		if b.MaxTS >= from {
			spans = append(spans, span{b.MinTS, b.MaxTS, b.Rows})
		}
	}
	bs.mu.RUnlock()
	sort.Slice(spans, func(i, j int) bool { return spans[i].maxTS > spans[j].maxTS })
	var (
		out    []store.Range
		upper  = to
		acc    int64
		target = max(want, 1)
	)
	for _, sp := range spans {
		acc += sp.rows
		if acc < target {
			continue
		}
		if lo := max(sp.minTS, from); lo > from && lo < upper {
			out = append(out, store.Range{From: lo, To: upper})
			upper, acc, target = lo, 0, target*4
		}
	}
	return append(out, store.Range{From: from, To: upper})
}

// MergeRanges sorts and merges overlapping ranges, then joins the ranges
// separated by the smallest gaps until at most limit remain.
func MergeRanges(rs []TSRange, limit int) []TSRange {
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].Lo < rs[j].Lo })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.Lo <= last.Hi+1 {
			last.Hi = max(last.Hi, r.Hi)
			continue
		}
		out = append(out, r)
	}
	for len(out) > limit {
		best := 0
		for i := 1; i < len(out)-1; i++ {
			if out[i+1].Lo-out[i].Hi < out[best+1].Lo-out[best].Hi {
				best = i
			}
		}
		out[best].Hi = out[best+1].Hi
		out = append(out[:best+1], out[best+2:]...)
	}
	return out
}
