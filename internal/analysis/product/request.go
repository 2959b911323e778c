package product

import (
	"fmt"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// The requests of the product-analytics routes as the server and the CLI
// receive them (FunnelRequest, RetentionRequest, PathsRequest,
// TrendsRequest, WebQuery): validated and turned into this package's
// query objects, whose Resolve shapes their answers for the API.

// ErrBadRequest is wrapped by the product-analytics requests' Query
// methods when the request itself is wrong (a missing step, a bad window,
// a filter that does not parse). Handlers map it to 400.
var ErrBadRequest = errs.New(errs.Invalid, "bad request")

func badf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrBadRequest, fmt.Sprintf(format, args...))
}

// StepSpec is one step as the API takes it: an event name ("$error" for
// any error) and an optional filter in the search syntax.
type StepSpec struct {
	Event string `json:"event"`
	Where string `json:"where,omitempty"`
}

func (s StepSpec) step(what string) (store.Step, error) {
	name := strings.TrimSpace(s.Event)
	if name == "" {
		return store.Step{}, badf("%s needs an event name", what)
	}
	q, err := query.Parse(s.Where)
	if err != nil {
		return store.Step{}, badf("%s %.80q: bad where %.200q: %v", what, name, s.Where, err)
	}
	if q != nil && q.Root == nil {
		q = nil
	}
	return store.Step{Name: name, Where: q}, nil
}

func (s StepSpec) key() string { return fmt.Sprintf("%q/%q", s.Event, s.Where) }

// parseRange reads from/to with a default span before now.
func parseRange(from, to string, now time.Time, def time.Duration) (store.Range, error) {
	f, t, err := query.ParseRange(from, to, now, def)
	if err != nil {
		return store.Range{}, badf("bad time range: %v", err)
	}
	return store.Range{From: f, To: t}, nil
}

func parseDuration(what, s string, def int64) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return def, nil
	}
	us, err := query.ParseStep(s)
	if err != nil {
		return 0, badf("bad %s: %v", what, err)
	}
	return us, nil
}

func seconds(us int64) float64 { return float64(us) / 1e6 }

func fraction(n, of int64) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// timeRange is how results echo their range.
type timeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

func echoRange(r store.Range) timeRange {
	return timeRange{From: event.FormatMicros(r.From), To: event.FormatMicros(r.To)}
}
