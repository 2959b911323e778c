// Package store declares what Lore needs from an events store: the small
// Engine a backend implements (append a batch, run a compiled query), the
// domain requests and answers of the reads (search, histogram, facets, the
// events of a journey: Reader, answered by internal/analysis/events over
// any Engine), and the optional accelerators a backend may add, each a
// narrow interface found by type assertion. internal/store/duckdb
// implements it on embedded DuckDB; a ClickHouse backend implements the
// same Engine and passes the same conformance suite
// (internal/store/storetest).
package store

import (
	"context"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
)

// ErrUnsupported is returned by a backend that cannot answer a request
// exactly. Backends never return approximate answers instead.
var ErrUnsupported = errs.New(errs.Unsupported, "store: unsupported")

// Batch is a group of events committed together. Seq is the position of the
// batch in the ingest log (internal/pipeline): strictly increasing, and
// recorded atomically with the rows so a replay after a crash can skip what
// is already stored.
type Batch struct {
	Seq    uint64
	Events []event.Event
}

// Writer appends events.
//
// Append is called by a single goroutine (the pipeline's loader), never
// concurrently. When it returns nil the batch and its Seq are committed;
// when it returns an error nothing of the batch is visible.
type Writer interface {
	Append(ctx context.Context, b Batch) error
	// LastSeq is the Seq of the last committed batch, 0 when none.
	LastSeq(ctx context.Context) (uint64, error)
}

// Range is a half-open time range [From, To) in microseconds since the
// epoch, UTC. Every read takes one and uses it to prune.
type Range struct {
	From, To int64
}

// SearchRequest asks for the events matching Query, newest first.
type SearchRequest struct {
	ProjectID int64
	Range     Range
	Query     *query.Query // nil or empty matches everything
	Limit     int          // at most this many events; backends cap it at 1000
	Cursor    string       // from a previous SearchResult, or ""
}

// SearchResult is a page of events, newest first. NextCursor is "" on the
// last page.
type SearchResult struct {
	Events     []event.Event
	NextCursor string
}

// HistogramRequest counts matching events per Step microseconds, split by
// the values of SplitBy (a core column such as "level", or an attribute key)
// when it is set.
type HistogramRequest struct {
	ProjectID int64
	Range     Range
	Query     *query.Query
	Step      int64 // bucket width in microseconds, > 0
	SplitBy   string
	MaxSplits int // the top N split values by count are kept, the rest summed as "other"; default 10
}

// Bucket is one step of a histogram. Start is the bucket's first
// microsecond. By holds the count per split value when SplitBy was set.
type Bucket struct {
	Start int64
	Count int64
	By    map[string]int64
	// Sampled counts the bucket's events a project's sampling kept (they
	// carry lore.sample_rate); when it is not 0, Estimate is the count
	// before sampling (each such event weighted by 1/rate) and ByEstimate,
	// with SplitBy, the same per split value. Both are zero otherwise.
	Sampled    int64
	Estimate   float64
	ByEstimate map[string]float64
}

// HistogramResult has one bucket per step of the range, empty ones included,
// in time order.
type HistogramResult struct {
	Step    int64
	Buckets []Bucket
}

// FacetsRequest asks for the top values of Field among matching events.
type FacetsRequest struct {
	ProjectID int64
	Range     Range
	Query     *query.Query
	Field     string // core column or attribute key
	Limit     int    // default 10
}

// FacetsRollup is an optional accelerator (the ClickHouse store's
// per-minute rollup), found by type assertion: the facets of r, at most
// limit values, exactly as internal/analysis/events.Reader.Facets states
// them, when the rollup can count them (no query, a field it keys, no
// sampled events in the range), or ok false, in which case the reader
// reads the events, with the same answer.
type FacetsRollup interface {
	RolledFacets(ctx context.Context, r FacetsRequest, limit int) (res FacetsResult, ok bool, err error)
}

// FacetValue is one value of a facet and how many events have it.
type FacetValue struct {
	Value string
	Count int64
	// Sampled and Estimate: as in Bucket, zero when none of the value's
	// events were kept by sampling.
	Sampled  int64   `json:",omitempty"`
	Estimate float64 `json:",omitempty"`
}

// FacetsResult lists values by count, highest first. Total is the number of
// matching events; Distinct the number of distinct values (exact). When
// some of them were kept by sampling, Sampled counts those and
// EstimatedTotal is Total before sampling (values are then ordered by
// their estimate); both are zero otherwise.
type FacetsResult struct {
	Field          string
	Values         []FacetValue
	Total          int64
	Distinct       int64
	Sampled        int64
	EstimatedTotal float64
}

// JourneyBy names the key a journey follows.
type JourneyBy string

// Journey keys.
const (
	ByTrace   JourneyBy = "trace"
	ByUser    JourneyBy = "user"
	BySession JourneyBy = "session"
)

// JourneyRequest asks for every event, of every kind and service, that
// carries the given trace, user or session id, oldest first. A user journey
// matches user_id or, for events before identification, an anonymous_id
// seen with that user_id; an ID that is itself an anonymous id gives that
// visitor's events without a user id (a visitor who never identified).
// Range limits the search; Limit caps the events.
type JourneyRequest struct {
	ProjectID int64
	By        JourneyBy
	ID        string
	Range     Range
	Limit     int // default and cap 5000
}

// Reader answers queries. All methods are safe for concurrent use.
type Reader interface {
	Search(ctx context.Context, r SearchRequest) (SearchResult, error)
	Histogram(ctx context.Context, r HistogramRequest) (HistogramResult, error)
	Facets(ctx context.Context, r FacetsRequest) (FacetsResult, error)
	Journey(ctx context.Context, r JourneyRequest) ([]event.Event, error)
}

// WordFilter is an optional accelerator a store may have (the DuckDB
// store's per-block token filters), found by type assertion: the parts of
// a range whose rows may contain every one of words (lower-cased
// substrings of the message, query.Query.Words), so that a scan reads
// only those. ok is false when the store cannot tell (scan the whole
// range); an empty list with ok true means no row can match. A query that
// scans the whole range instead gets the same answer: the filter only
// saves reading.
type WordFilter interface {
	WordRanges(project int64, r Range, words []string) (ranges []Range, ok bool)
}

// IDKind names an id column an IDFilter can look up.
type IDKind int

// Id kinds: the trace id (as event.ParseTraceID reads it: any case, a
// non-hex id hashed), user_id, anonymous_id and session_id.
const (
	IDTrace IDKind = iota
	IDUser
	IDAnonymous
	IDSession
)

// IDFilter is an optional accelerator a store may have (the DuckDB
// store's per-block key filters), found by type assertion: the parts of a
// range whose rows may hold id in the column kind names, so that a journey
// reads only those. ok is false when the store cannot tell (scan the
// whole range); an empty list with ok true means no row holds it. A read
// that scans the whole range gets the same answer: the filter only saves
// reading.
type IDFilter interface {
	IDRanges(project int64, r Range, kind IDKind, id string) (ranges []Range, ok bool)
}

// IDRangeReader is an IDFilter that reads its answer (the ClickHouse
// store's side table of each id's times: a query to the server), so it
// takes a context and may fail; found by type assertion before IDFilter.
// ranges and ok mean what they mean for IDFilter: the parts of r whose
// rows may hold id (too wide is allowed, never too narrow), ok false when
// the store cannot tell. An error fails the read.
type IDRangeReader interface {
	ReadIDRanges(ctx context.Context, project int64, r Range, kind IDKind, id string) (ranges []Range, ok bool, err error)
}

// Slicer is an optional accelerator a store may have (the DuckDB store's
// per-block row counts), found by type assertion: r partitioned into
// consecutive ranges, newest first, the first expected to hold about
// want rows of project and each next one about four times as many, the
// last reaching r.From; so that a newest-first read stops as soon as its
// page is full instead of sorting the whole range. A read that takes the
// whole range at once gets the same answer.
type Slicer interface {
	NewestSlices(project int64, r Range, want int64) []Range
}

// ArchivedRows is implemented by a store that keeps older days outside
// its events table (DuckDB's cold tier): a FROM item reading the
// project's archived rows of the days overlapping r, with the events
// table's columns and a row order (the dialect's RowOrder) that is
// stable, distinct and, at equal times, below every row of the table's,
// so that a search's cursor pages through both; "" when it holds none of
// those days.
type ArchivedRows interface {
	ArchivedRows(ctx context.Context, project int64, r Range) (src string, err error)
}

// Stats describes the store's size, for /metrics and the benchmarks.
type Stats struct {
	Events    int64 // rows stored
	DiskBytes int64 // bytes of the store's files on disk
}

// Engine is the small contract a backend implements: append a batch, run
// a compiled query (sqlq.Executor: the analyses build their SQL through
// the engine's Dialect and own its meaning), report its size, close.
type Engine interface {
	Writer
	sqlq.Executor
	Stats(ctx context.Context) (Stats, error)
	// Close flushes and releases everything; the Engine is unusable after.
	Close() error
}

// Store is a whole events backend: an Engine. The reads of events
// (Reader: search, histogram, facets, journeys) are query objects over it
// (internal/analysis/events), which use its accelerators (WordFilter,
// IDFilter) when it has them.
type Store interface {
	Engine
}
