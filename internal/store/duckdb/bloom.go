package duckdb

import (
	"context"
	"encoding/binary"
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"

	"github.com/lore-dev/lore/internal/store"
)

// bloom is a Bloom filter of 64-bit hashes with k probes derived by double
// hashing. A probe picks its bit either by multiply-shift over any size
// (keys filters, sized exactly) or by masking a power-of-two size (grams
// filters, which are built large and then folded in halves down to what
// their fill needs). Its wire form is one byte, k with the high bit set for
// masking, followed by the little-endian words.
type bloom struct {
	k     uint8
	mask  bool
	nbits uint64
	words []uint64
}

func newBloom(nbits uint64, k uint8) *bloom {
	nw := max((nbits+63)/64, 1)
	return &bloom{k: k, nbits: nw * 64, words: make([]uint64, nw)}
}

// newMaskBloom makes a masking filter of 1<<logBits bits.
func newMaskBloom(logBits uint, k uint8) *bloom {
	b := newBloom(1<<max(logBits, 6), k)
	b.mask = true
	return b
}

func (b *bloom) bit(h uint64) uint64 {
	if b.mask {
		return h & (b.nbits - 1)
	}
	idx, _ := bits.Mul64(h, b.nbits)
	return idx
}

func (b *bloom) add(h uint64) {
	h2 := h>>33 | h<<31 | 1
	for i := uint8(0); i < b.k; i++ {
		idx := b.bit(h)
		b.words[idx>>6] |= 1 << (idx & 63)
		h += h2
	}
}

func (b *bloom) has(h uint64) bool {
	h2 := h>>33 | h<<31 | 1
	for i := uint8(0); i < b.k; i++ {
		idx := b.bit(h)
		if b.words[idx>>6]&(1<<(idx&63)) == 0 {
			return false
		}
		h += h2
	}
	return true
}

// fold halves a masking filter while fewer than maxFill of its bits would
// be set: bit i of the half is bit i or bit i+half of the whole, which is
// where masking with the smaller size sends every probe.
func (b *bloom) fold(maxFill float64) {
	for len(b.words) > 1 {
		half := len(b.words) / 2
		set := 0
		for i := 0; i < half; i++ {
			set += bits.OnesCount64(b.words[i] | b.words[i+half])
		}
		if float64(set) > maxFill*float64(half*64) {
			return
		}
		for i := 0; i < half; i++ {
			b.words[i] |= b.words[i+half]
		}
		b.words = b.words[:half:half]
		b.nbits /= 2
	}
}

func (b *bloom) marshal() []byte {
	out := make([]byte, 1+8*len(b.words))
	out[0] = b.k
	if b.mask {
		out[0] |= 0x80
	}
	for i, w := range b.words {
		binary.LittleEndian.PutUint64(out[1+8*i:], w)
	}
	return out
}

func unmarshalBloom(p []byte) (*bloom, error) {
	if len(p) < 9 || (len(p)-1)%8 != 0 || p[0]&0x7f == 0 {
		return nil, fmt.Errorf("bloom filter of %d bytes is malformed", len(p))
	}
	b := &bloom{k: p[0] & 0x7f, mask: p[0]&0x80 != 0, words: make([]uint64, (len(p)-1)/8)}
	for i := range b.words {
		b.words[i] = binary.LittleEndian.Uint64(p[1+8*i:])
	}
	b.nbits = uint64(len(b.words)) * 64
	if b.mask && b.nbits&(b.nbits-1) != 0 {
		return nil, fmt.Errorf("masking bloom filter of %d bits is not a power of two", b.nbits)
	}
	return b, nil
}

// Key kinds hashed into a block's keys filter.
const (
	keyTrace byte = 't'
	keyUser  byte = 'u'
	keySess  byte = 's'
	keyAnon  byte = 'a'
)

func keyHash(kind byte, id string) uint64 {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.Write([]byte{kind})
	_, _ = d.WriteString(id)
	return d.Sum64()
}

func traceKeyHash(hi, lo uint64) uint64 {
	var buf [17]byte
	buf[0] = keyTrace
	binary.BigEndian.PutUint64(buf[1:], hi)
	binary.BigEndian.PutUint64(buf[9:], lo)
	return xxhash.Sum64(buf[:])
}

// gramHash spreads a 4-byte window over 64 bits.
func gramHash(g uint32) uint64 {
	h := uint64(g) * 0x9E3779B97F4A7C15
	return h ^ h>>29
}

// lowerASCII reports whether s is ASCII, returning it lower-cased when so
// without allocating more than once.
func lowerMessage(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// addGrams adds every 4-byte window of the lower-cased s to b.
func addGrams(b *bloom, s string) {
	s = lowerMessage(s)
	if len(s) < 4 {
		return
	}
	g := uint32(s[0])<<16 | uint32(s[1])<<8 | uint32(s[2])
	for i := 3; i < len(s); i++ {
		g = g<<8 | uint32(s[i])
		b.add(gramHash(g))
	}
}

// hasGrams reports whether b may hold a message containing the lower-cased
// needle w. Needles shorter than a gram cannot be ruled out.
func hasGrams(b *bloom, w string) bool {
	if len(w) < 4 {
		return true
	}
	g := uint32(w[0])<<16 | uint32(w[1])<<8 | uint32(w[2])
	for i := 3; i < len(w); i++ {
		g = g<<8 | uint32(w[i])
		if !b.has(gramHash(g)) {
			return false
		}
	}
	return true
}

// block is the in-memory form of a row of the blocks table.
type block struct {
	minTS, maxTS int64
	rows         int64
	keys, grams  *bloom
}

// blockSet holds every block's filters by project, ordered by min_ts.
type blockSet struct {
	mu     sync.RWMutex
	byProj map[int64][]*block
}

func newBlockSet() *blockSet { return &blockSet{byProj: map[int64][]*block{}} }

func (bs *blockSet) add(project int64, b *block) {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	list := bs.byProj[project]
	i := sort.Search(len(list), func(i int) bool { return list[i].minTS > b.minTS })
	list = append(list, nil)
	copy(list[i+1:], list[i:])
	list[i] = b
	bs.byProj[project] = list
}

// tsRange is a closed range of timestamps [lo, hi].
type tsRange struct{ lo, hi int64 }

// maxRanges bounds the UNION ALL branches of one query; closer ranges are
// merged beyond it. A branch costs a few milliseconds even when it reads
// little, so when the candidate blocks hold a third or more of the range's
// rows one plain scan of their whole span is cheaper.
const maxRanges = 16

// candidates returns the merged time ranges of the project's blocks that
// overlap [from, to) and pass keep, clipped to [from, to-1].
func (bs *blockSet) candidates(project, from, to int64, keep func(*block) bool) []tsRange {
	bs.mu.RLock()
	list := bs.byProj[project]
	var (
		rs          []tsRange
		kept, total int64
	)
	for _, b := range list {
		if b.minTS >= to {
			break
		}
		if b.maxTS < from {
			continue
		}
		total += b.rows
		if !keep(b) {
			continue
		}
		kept += b.rows
		rs = append(rs, tsRange{max(b.minTS, from), min(b.maxTS, to-1)})
	}
	bs.mu.RUnlock()
	rs = mergeRanges(rs, maxRanges)
	if len(rs) > 2 && kept*3 >= total {
		rs = []tsRange{{rs[0].lo, rs[len(rs)-1].hi}}
	}
	return rs
}

// slices partitions [from, to) into consecutive ranges, newest first, the
// first expected (by the blocks' row counts) to hold about want rows and
// each next one four times as many as the one before; the last reaches
// from.
func (bs *blockSet) slices(project, from, to, want int64) []store.Range {
	type span struct{ minTS, maxTS, rows int64 }
	bs.mu.RLock()
	var spans []span
	for _, b := range bs.byProj[project] {
		if b.minTS >= to {
			break
		}
		if b.maxTS >= from {
			spans = append(spans, span{b.minTS, b.maxTS, b.rows})
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

// mergeRanges sorts and merges overlapping ranges, then joins the ranges
// separated by the smallest gaps until at most limit remain.
func mergeRanges(rs []tsRange, limit int) []tsRange {
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].lo < rs[j].lo })
	out := rs[:1]
	for _, r := range rs[1:] {
		last := &out[len(out)-1]
		if r.lo <= last.hi+1 {
			last.hi = max(last.hi, r.hi)
			continue
		}
		out = append(out, r)
	}
	for len(out) > limit {
		best := 0
		for i := 1; i < len(out)-1; i++ {
			if out[i+1].lo-out[i].hi < out[best+1].lo-out[best].hi {
				best = i
			}
		}
		out[best].hi = out[best+1].hi
		out = append(out[:best+1], out[best+2:]...)
	}
	return out
}

func (s *Store) loadBlocks(ctx context.Context) error {
	rows, err := s.db.QueryContext(ctx, `SELECT project_id, min_ts, max_ts, rows, keys, grams FROM blocks`)
	if err != nil {
		return fmt.Errorf("load block filters: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			project     int64
			b           block
			keys, grams []byte
		)
		if err := rows.Scan(&project, &b.minTS, &b.maxTS, &b.rows, &keys, &grams); err != nil {
			return fmt.Errorf("load block filters: %w", err)
		}
		if b.keys, err = unmarshalBloom(keys); err != nil {
			return fmt.Errorf("load keys filter of block at %d: %w", b.minTS, err)
		}
		if b.grams, err = unmarshalBloom(grams); err != nil {
			return fmt.Errorf("load grams filter of block at %d: %w", b.minTS, err)
		}
		s.blocks.add(project, &b)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load block filters: %w", err)
	}
	return nil
}
