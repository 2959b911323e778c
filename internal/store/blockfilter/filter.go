// Package blockfilter is the events store's block filters: an optional
// accelerator for reads by id and by word. A batch is cut into blocks
// (one project, at most Rows rows and Span of time); each block keeps
// its [MinTS, MaxTS], its row count and two Bloom filters:
//
//   - Keys: the block's trace ids, user ids, session ids and anonymous
//     ids (about 0.15% false positives), for lookups by id (journeys);
//   - Grams: every 4-byte window of the lower-cased messages. A search's
//     words are substrings, so a block can only hold a match if it holds
//     every 4-gram of every word; a word shorter than 4 bytes prunes
//     nothing. The filter is small and fairly dense, but a needle of n
//     bytes must hit n-3 grams, so false positives fall geometrically with
//     length.
//
// A Set holds every block's filters in memory by project and answers
// which time ranges of a request may hold a match (Candidates), and how
// to cut a range into slices of about a page of rows (Slices). The store
// keeps the filters' wire form (Filter.Marshal) beside its rows and
// reloads them at open; the plain scan of the whole range is always
// correct without them (store.WordFilter is the narrow interface the
// analyses find them by).
package blockfilter

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
	"unicode/utf8"

	"github.com/cespare/xxhash/v2"
)

// Filter is a Bloom filter of 64-bit hashes with k probes derived by
// double hashing. A probe picks its bit either by multiply-shift over any
// size (keys filters, sized exactly) or by masking a power-of-two size
// (grams filters, which are built large and then folded in halves down to
// what their fill needs). Its wire form is one byte, k with the high bit
// set for masking, followed by the little-endian words.
type Filter struct {
	k     uint8
	mask  bool
	nbits uint64
	words []uint64
}

// New makes a multiply-shift filter of at least nbits bits and k probes.
func New(nbits uint64, k uint8) *Filter {
	nw := max((nbits+63)/64, 1)
	return &Filter{k: k, nbits: nw * 64, words: make([]uint64, nw)}
}

// NewMasking makes a masking filter of 1<<logBits bits.
func NewMasking(logBits uint, k uint8) *Filter {
	b := New(1<<max(logBits, 6), k)
	b.mask = true
	return b
}

func (b *Filter) bit(h uint64) uint64 {
	if b.mask {
		return h & (b.nbits - 1)
	}
	idx, _ := bits.Mul64(h, b.nbits)
	return idx
}

// Add sets h's bits.
func (b *Filter) Add(h uint64) {
	h2 := h>>33 | h<<31 | 1
	for i := uint8(0); i < b.k; i++ {
		idx := b.bit(h)
		b.words[idx>>6] |= 1 << (idx & 63)
		h += h2
	}
}

// Has reports whether h may have been added.
func (b *Filter) Has(h uint64) bool {
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

// Fold halves a masking filter while fewer than maxFill of its bits would
// be set: bit i of the half is bit i or bit i+half of the whole, which is
// where masking with the smaller size sends every probe.
func (b *Filter) Fold(maxFill float64) {
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

// Marshal is the filter's wire form.
func (b *Filter) Marshal() []byte {
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

// Unmarshal reads a filter's wire form.
func Unmarshal(p []byte) (*Filter, error) {
	if len(p) < 9 || (len(p)-1)%8 != 0 || p[0]&0x7f == 0 {
		return nil, fmt.Errorf("bloom filter of %d bytes is malformed", len(p))
	}
	b := &Filter{k: p[0] & 0x7f, mask: p[0]&0x80 != 0, words: make([]uint64, (len(p)-1)/8)}
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
	KeyTrace byte = 't'
	KeyUser  byte = 'u'
	KeySess  byte = 's'
	KeyAnon  byte = 'a'
)

// KeyHash is the keys filter's hash of an id of a kind (KeyUser, KeySess,
// KeyAnon).
func KeyHash(kind byte, id string) uint64 {
	var d xxhash.Digest
	d.Reset()
	_, _ = d.Write([]byte{kind})
	_, _ = d.WriteString(id)
	return d.Sum64()
}

// TraceKeyHash is the keys filter's hash of a trace id's halves.
func TraceKeyHash(hi, lo uint64) uint64 {
	var buf [17]byte
	buf[0] = KeyTrace
	binary.BigEndian.PutUint64(buf[1:], hi)
	binary.BigEndian.PutUint64(buf[9:], lo)
	return xxhash.Sum64(buf[:])
}

// gramHash spreads a 4-byte window over 64 bits.
func gramHash(g uint32) uint64 {
	h := uint64(g) * 0x9E3779B97F4A7C15
	return h ^ h>>29
}

// lowerMessage is s lower-cased, without allocating when s is ASCII
// already in lower case.
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

// AddGrams adds every 4-byte window of the lower-cased s to b.
func AddGrams(b *Filter, s string) {
	s = lowerMessage(s)
	if len(s) < 4 {
		return
	}
	g := uint32(s[0])<<16 | uint32(s[1])<<8 | uint32(s[2])
	for i := 3; i < len(s); i++ {
		g = g<<8 | uint32(s[i])
		b.Add(gramHash(g))
	}
}

// HasGrams reports whether b may hold a message containing the
// lower-cased needle w. Needles shorter than a gram cannot be ruled out.
func HasGrams(b *Filter, w string) bool {
	if len(w) < 4 {
		return true
	}
	g := uint32(w[0])<<16 | uint32(w[1])<<8 | uint32(w[2])
	for i := 3; i < len(w); i++ {
		g = g<<8 | uint32(w[i])
		if !b.Has(gramHash(g)) {
			return false
		}
	}
	return true
}
