package store

import (
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
)

// Product analytics count persons, not ids. A person is an event's user
// id or, for an event sent before identification, the user id its
// anonymous id was later seen with (identify, alias, or any event carrying
// both); events with neither mapping count under their anonymous id. An
// alias of a user id to another (previousId = an older user id) merges
// them the same way. Chains of more than one link are not followed.

// Step matches product events (kind event or pageview) by name and an
// optional filter in the search syntax. Name "$error" matches errors:
// kind error, or level error or fatal.
type Step struct {
	Name  string
	Where *query.Query // nil: no filter
}

// StepError is the step name matching any error.
const StepError = "$error"

// FunnelRequest asks for persons who did Steps in order, each within
// Window of the first, in Range. A person's best attempt counts: the
// start from which they got furthest, earliest first. Its semantics are
// stated by internal/analysis/product's Funnel.
type FunnelRequest struct {
	ProjectID int64
	Range     Range
	Steps     []Step // 2 or more
	Window    int64  // µs, > 0
	Breakdown string // property of the first step's event (core column or attribute); "" for none
	// MaxBreakdowns keeps the most common breakdown values (default 10).
	MaxBreakdowns int
	// For each drop-off, the Causes most common among the persons who
	// dropped (errors, and requests slower than SlowMS; and, as many
	// again, session replay's rage clicks, dead clicks and errors after
	// a click) in the window after their last step, and up to Samples of
	// those persons.
	Causes  int     // default 5
	SlowMS  float64 // default 1000
	Samples int     // default 3
}

// FunnelCounts is the persons reaching each step and the median time from
// the previous step, in µs (0 for the first step or when none converted).
type FunnelCounts struct {
	Persons         []int64
	MedianToConvert []int64
}

// FunnelBreakdown is the funnel of the persons whose first step had Value.
type FunnelBreakdown struct {
	Value string
	FunnelCounts
}

// DropoffCause is an error or a slow request among persons who dropped.
type DropoffCause struct {
	Kind    string // "error", "slow", or a replay detection: "rage_click", "dead_click", "error_after_click"
	Label   string // error type or message; endpoint or span name
	Service string
	Persons int64 // distinct dropped persons who hit it
	Events  int64
	// For slow requests, the median duration.
	MedianMS float64
}

// Dropoff is what the persons who reached step Step (0-based) but not the
// next one hit afterwards.
type Dropoff struct {
	Step    int
	Persons int64
	Causes  []DropoffCause
	Samples []string // person ids, to open as user journeys
}

// FunnelResult answers a FunnelRequest.
type FunnelResult struct {
	FunnelCounts
	Breakdown []FunnelBreakdown // by persons at the first step, descending
	Dropoffs  []Dropoff         // one per step but the last
}

// RetentionRequest groups persons into cohorts by the period of their
// first Start event in Range, and counts those who did a Return event in
// each period since (period 0 is the cohort's own, counting returns at or
// after the first start). Periods are aligned to UTC days, or to weeks
// starting on Monday.
type RetentionRequest struct {
	ProjectID int64
	Range     Range
	Start     Step
	Return    Step
	Period    int64 // µs: a day or a week
	Periods   int   // how many periods each cohort follows, from 0
	Breakdown string
}

// Cohort is one row of the retention table.
type Cohort struct {
	Start     int64 // µs, the period's first microsecond
	Breakdown string
	Size      int64
	Returned  []int64 // len Periods
}

// RetentionResult has the cohorts in time order (and breakdown value).
type RetentionResult struct {
	Cohorts []Cohort
}

// PathsRequest asks for the most common sequences of Depth events after
// each person's first Start event (Start included), or, with End, before
// and including their first End event. Events are product events and
// errors, named as in Step ("error: TYPE" for errors, the path for page
// views sent as "$pageview"); bookkeeping events ($identify, $alias,
// $group, $pageload, $pageleave) are left out.
type PathsRequest struct {
	ProjectID int64
	Range     Range
	Start     *Step
	End       *Step
	Depth     int // default 5
	Limit     int // default 20
}

// PathCount is one sequence and the persons who followed it.
type PathCount struct {
	Steps   []string
	Persons int64
}

// PathsIndex is an optional accelerator (the DuckDB store's person
// index), found by type assertion: it answers a valid paths request (its
// defaults set) without SQL, or says it cannot (ok false), in which case
// internal/analysis/product runs the SQL, which gives the same answer.
type PathsIndex interface {
	IndexedPaths(r PathsRequest) (out []PathCount, ok bool)
}

// FunnelDrop is a person who reached Depth steps of a funnel (1 to one
// less than all), with the times of their first and last step (µs).
type FunnelDrop struct {
	Person      string
	Depth       int
	First, Last int64
}

// FunnelWalk is what a person index answers of a funnel: the persons per
// step and the median times (as FunnelCounts), and the persons who
// dropped, to whom internal/analysis/product matches the drop-off causes.
type FunnelWalk struct {
	FunnelCounts
	Dropped []FunnelDrop
}

// FunnelIndex is an optional accelerator (the DuckDB store's person
// index), found by type assertion: it walks each person's events through
// a valid funnel request (its defaults set) without SQL, or says it
// cannot (ok false, before doing any work), in which case
// internal/analysis/product runs the SQL, which gives the same answer.
type FunnelIndex interface {
	IndexedFunnel(r FunnelRequest) (w FunnelWalk, ok bool)
}

// RetentionIndex is an optional accelerator (the DuckDB store's person
// index), found by type assertion: it answers a valid retention request
// without SQL, or says it cannot (ok false), in which case
// internal/analysis/product runs the SQL, which gives the same answer.
type RetentionIndex interface {
	IndexedRetention(r RetentionRequest) (res RetentionResult, ok bool)
}

// Analytics is the role product analytics read through: the Executor
// runs the queries the analyses compile themselves (web analytics,
// trends, funnels, paths and retention: internal/analysis/product), and
// the optional accelerators above answer some of them faster.
type Analytics interface {
	sqlq.Executor
}
