// Package flows reads journeys as sequences of product steps and errors:
// the failed journeys behind GET /api/v1/journeys/failures and the
// session flows the funnel drop-off story reads. It states here, once for
// every engine, what a journey is (a session; a row without a session id
// belongs to the session seen elsewhere in its trace, else to its trace),
// what a named step is and what an error row is, and builds its queries
// through the store's Dialect.
package flows

import (
	"fmt"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// namedStep matches the named product events of a journey (kind event,
// not "$…" autocaptured), on the columns of alias a ("" for none).
func namedStep(d sqlq.Dialect, a string) string {
	return a + "kind = 'event' AND " + a + "name <> '' AND NOT " + d.StartsWith(a+"name", "$")
}

// errorRow matches the error rows of a journey: errors, and rows at level
// error or fatal that are not spans (a failed call's span and its log are
// one error).
func errorRow(a string) string {
	return "(" + a + "kind = 'error' OR (" + a + "kind <> 'span' AND " + a + "level IN ('error', 'fatal')))"
}

// hasJourney is true for rows with a session or a trace.
const hasJourney = "(session_id <> '' OR trace_hi <> 0 OR trace_lo <> 0)"

// checkRange refuses an empty or inverted range.
func checkRange(r store.Range) error {
	if r.To <= r.From {
		return fmt.Errorf("empty time range [%d, %d)", r.From, r.To)
	}
	return nil
}
