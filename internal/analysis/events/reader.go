// Package events answers the reads of events themselves — search,
// histogram, facets and journeys (store.Reader) — as query objects built
// through the engine's sqlq.Dialect and run on any sqlq.Executor. Each
// read plans what it scans with internal/analysis/scan, which asks the
// store's optional accelerators (store.WordFilter, store.IDFilter or
// store.IDRangeReader) for the parts of the range that may hold a match;
// without them it scans the whole range, with the same answer.
package events

import (
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Reader answers store.Reader on an engine. Ex is the store itself (not a
// wrapper), so that its accelerators are found by type assertion.
type Reader struct {
	Ex sqlq.Executor
	// JourneyBranches is the most top-n branches one journey query holds
	// (default maxJourneyBranches); more run as several queries whose rows
	// are merged. Tests set 1 to check the merge gives the one query's
	// answer.
	JourneyBranches int
}

var _ store.Reader = Reader{}
