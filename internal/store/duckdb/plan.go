package duckdb

import (
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/blockfilter"
)

// wordCandidates are the merged time ranges of the blocks whose grams hold
// every word.
func (s *Store) wordCandidates(project int64, r store.Range, words []string) []blockfilter.TSRange {
	return s.blocks.Words(project, r.From, r.To, words)
}

var _ store.WordFilter = (*Store)(nil)

// WordRanges implements store.WordFilter with the blocks' 4-gram filters
// (see doc.go): the ranges of the blocks that may hold every word.
func (s *Store) WordRanges(project int64, r store.Range, words []string) ([]store.Range, bool) {
	if len(words) == 0 || r.To <= r.From {
		return nil, false
	}
	return toRanges(s.wordCandidates(project, r, words)), true
}

var (
	_ store.IDFilter = (*Store)(nil)
	_ store.Slicer   = (*Store)(nil)
)

// NewestSlices implements store.Slicer with the blocks' row counts.
func (s *Store) NewestSlices(project int64, r store.Range, want int64) []store.Range {
	return s.blocks.Slices(project, r.From, r.To, want)
}

// IDRanges implements store.IDFilter with the blocks' key filters (see
// doc.go): the ranges of the blocks that may hold id.
func (s *Store) IDRanges(project int64, r store.Range, kind store.IDKind, id string) ([]store.Range, bool) {
	if r.To <= r.From {
		return nil, false
	}
	var h uint64
	switch kind {
	case store.IDTrace:
		t, _ := event.ParseTraceID(id)
		h = blockfilter.TraceKeyHash(t.Hi(), t.Lo())
	case store.IDUser:
		h = blockfilter.KeyHash(blockfilter.KeyUser, id)
	case store.IDAnonymous:
		h = blockfilter.KeyHash(blockfilter.KeyAnon, id)
	case store.IDSession:
		h = blockfilter.KeyHash(blockfilter.KeySess, id)
	default:
		return nil, false
	}
	return toRanges(s.blocks.Candidates(project, r.From, r.To, func(b *blockfilter.Block) bool { return b.Keys.Has(h) })), true
}

// toRanges turns the blocks' inclusive ranges into half-open ones.
func toRanges(rs []blockfilter.TSRange) []store.Range {
	out := make([]store.Range, len(rs))
	for i, x := range rs {
		out[i] = store.Range{From: x.Lo, To: x.Hi + 1}
	}
	return out
}
