// Package calls states what the narrative engine counts as a call to a
// dependency, and reads the calls that were throttled or retried: the
// throttling and retry-storm stories stand on it. Its queries are built
// through the store's Dialect and run by any sqlq.Executor; the meaning
// (which rows are calls, which dependency they reach, what succeeded) is
// stated here once, for every engine.
package calls

import (
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// A project reports its dependency calls in one of two ways:
//
//   - client spans naming the dependency in the peer.service attribute;
//   - log or error rows with an http_status, whose dependency is their
//     peer.service or server.address attribute, else their own service.
//
// Spans are preferred: a project that sends no peer.service spans is read
// from its logs.
type source struct {
	call func(d sqlq.Dialect) string // the rows that are calls
	dep  func(d sqlq.Dialect) string // the dependency a call reaches
}

var (
	spans = source{
		call: func(d sqlq.Dialect) string { return "kind = 'span' AND " + d.HasAttr("peer.service") },
		dep:  func(d sqlq.Dialect) string { return d.Attr("peer.service") },
	}
	logs = source{
		call: func(sqlq.Dialect) string { return "kind IN ('log', 'error') AND http_status IS NOT NULL" },
		dep: func(d sqlq.Dialect) string {
			return d.AttrOr("peer.service", d.AttrOr("server.address", "service"))
		},
	}
)

// checkRange refuses an empty or inverted range.
func checkRange(r store.Range) error {
	if r.To <= r.From {
		return fmt.Errorf("empty time range [%d, %d)", r.From, r.To)
	}
	return nil
}

// traceOrEmpty renders a trace id's halves (of alias a) as hex, "" for
// rows without a trace.
func traceOrEmpty(d sqlq.Dialect, a string) string {
	return "CASE WHEN " + a + ".trace_hi = 0 AND " + a + ".trace_lo = 0 THEN '' ELSE " +
		d.TraceHex(a+".trace_hi", a+".trace_lo") + " END"
}

// sameTrace joins alias a to alias b on the trace id.
func sameTrace(a, b string) string {
	return a + ".trace_hi = " + b + ".trace_hi AND " + a + ".trace_lo = " + b + ".trace_lo"
}
