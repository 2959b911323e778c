package fields

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/analysis/fieldstats"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// CardinalityMethod says how cardinalities are counted; the API returns it.
const CardinalityMethod = "approximate: HyperLogLog (1024 registers, about ±3% standard error) over the UTC days the range touches, whole days counted"

// columns are the events table's core columns, in the event model's order;
// the dictionary lists them before the attributes.
var columns = [nColumns]string{"kind", "level", "service", "env", "release", "host", "trace_id", "span_id", "parent_span_id",
	"user_id", "anonymous_id", "session_id", "request_id", "name", "message", "http_method", "endpoint", "http_status",
	"duration_ms", "error_type", "error_code", "fingerprint", "retry_attempt"}

const nColumns = 23

// Dictionary is the answer of GET /api/v1/fields.
type Dictionary struct {
	From              string  `json:"from"`
	To                string  `json:"to"`
	CardinalityMethod string  `json:"cardinality_method"`
	Fields            []Field `json:"fields"`
	Drift             int     `json:"drift"` // fields with at least one drift note
}

// Field is one entry of the data dictionary.
type Field struct {
	Name        string         `json:"name"`
	Column      bool           `json:"column"` // a core column (else an attribute)
	Type        string         `json:"type"`   // the most frequent type in the range
	Types       []TypeSeen     `json:"types"`
	Count       int64          `json:"count"` // events carrying it in the range
	Cardinality int64          `json:"cardinality"`
	Examples    []string       `json:"examples"`
	Services    []ServiceCount `json:"services"`
	FirstSeen   string         `json:"first_seen"` // in the range
	LastSeen    string         `json:"last_seen"`
	FirstEver   string         `json:"first_seen_ever"`
	Drift       []Drift        `json:"drift,omitempty"`
}

// TypeSeen is one type a field was seen with.
type TypeSeen struct {
	Type      string `json:"type"`
	Count     int64  `json:"count"`
	FirstSeen string `json:"first_seen"`
	LastSeen  string `json:"last_seen"`
}

// ServiceCount is a service sending a field.
type ServiceCount struct {
	Service string `json:"service"`
	Count   int64  `json:"count"`
}

// Drift kinds.
const (
	DriftAppeared    = "appeared"
	DriftDisappeared = "disappeared"
	DriftTypeChanged = "type_changed"
)

// Drift is a schema-drift note.
type Drift struct {
	Kind string `json:"kind"`
	At   string `json:"at"`
	Note string `json:"note"`
}

// Reader is what the dictionary reads: the store's catalogue, through the
// query objects of internal/analysis/fieldstats on its Executor (any
// engine with the catalogue's tables), and, to see the latest events, a
// flush of the catalogue's pending rows.
type Reader struct {
	Store     sqlq.Executor
	Catalogue *Catalogue // flushed before reading; may be nil
}

// Request asks for the dictionary of a project over [From, To).
type Request struct {
	ProjectID int64
	From, To  time.Time
}

// tailShare is the last part of the range a field must be missing from to
// be called disappeared; expectedTail is how many events it must have been
// expected to send there at its rate in the range, so that rare fields are
// not called gone.
const (
	tailShare    = 0.2
	expectedTail = 5.0
)

// Dictionary builds the data dictionary of a range.
func (d Reader) Dictionary(ctx context.Context, r Request) (Dictionary, error) {
	if d.Catalogue != nil {
		if err := d.Catalogue.Flush(ctx); err != nil {
			return Dictionary{}, fmt.Errorf("flush field catalogue: %w", err)
		}
	}
	from, to := r.From.UnixMicro(), r.To.UnixMicro()
	usage, err := fieldstats.Usage{ProjectID: r.ProjectID, From: from, To: to}.Run(ctx, d.Store)
	if err != nil {
		return Dictionary{}, err
	}
	ever, err := fieldstats.FirstSeen{ProjectID: r.ProjectID}.Run(ctx, d.Store)
	if err != nil {
		return Dictionary{}, err
	}
	days, err := fieldstats.ValueDays{ProjectID: r.ProjectID, From: from, To: to}.Run(ctx, d.Store)
	if err != nil {
		return Dictionary{}, err
	}
	out := Dictionary{From: r.From.UTC().Format(time.RFC3339), To: r.To.UTC().Format(time.RFC3339), CardinalityMethod: CardinalityMethod, Fields: []Field{}}

	type acc struct {
		f           Field
		first, last int64
		types       map[string]*TypeSeen
		firstT      map[string]int64
		lastT       map[string]int64
		services    map[string]int64
	}
	byName := map[string]*acc{}
	get := func(name string) *acc {
		a := byName[name]
		if a == nil {
			a = &acc{f: Field{Name: name, Column: slices.Contains(columns[:], name)}, types: map[string]*TypeSeen{},
				firstT: map[string]int64{}, lastT: map[string]int64{}, services: map[string]int64{}}
			byName[name] = a
		}
		return a
	}
	for _, u := range usage {
		// Hour rows overlap the range; keep only what may fall in it.
		if u.LastTS < from || u.FirstTS >= to {
			continue
		}
		a := get(u.Field)
		a.f.Count += u.Count
		if a.first == 0 || u.FirstTS < a.first {
			a.first = u.FirstTS
		}
		a.last = max(a.last, u.LastTS)
		t := a.types[u.Type]
		if t == nil {
			t = &TypeSeen{Type: u.Type}
			a.types[u.Type] = t
			a.firstT[u.Type] = u.FirstTS
		}
		t.Count += u.Count
		a.firstT[u.Type] = min(a.firstT[u.Type], u.FirstTS)
		a.lastT[u.Type] = max(a.lastT[u.Type], u.LastTS)
		if u.Service != "" {
			a.services[u.Service] += u.Count
		}
	}
	firstEver := map[string]int64{}
	var start int64 // the project's first recorded event
	for _, e := range ever {
		if start == 0 || e.FirstTS < start {
			start = e.FirstTS
		}
		if v, ok := firstEver[e.Field]; !ok || e.FirstTS < v {
			firstEver[e.Field] = e.FirstTS
		}
	}
	sketches := map[string][]byte{}
	for _, v := range days {
		a := byName[v.Field]
		if a == nil {
			continue
		}
		if s := sketches[v.Field]; s == nil {
			sketches[v.Field] = append([]byte(nil), v.Sketch...)
		} else {
			mergeInto(s, v.Sketch)
		}
		for _, x := range v.Examples {
			if len(a.f.Examples) < store.MaxFieldExamples && !slices.Contains(a.f.Examples, x) {
				a.f.Examples = append(a.f.Examples, x)
			}
		}
	}

	for name, a := range byName {
		f := &a.f
		f.FirstSeen, f.LastSeen = event.FormatMicros(a.first), event.FormatMicros(a.last)
		f.FirstEver = event.FormatMicros(firstEver[name])
		// The estimate can overshoot by its error; a field cannot have more values than events.
		f.Cardinality = min(estimate(sketches[name]), f.Count)
		if f.Examples == nil {
			f.Examples = []string{}
		}
		for t, ts := range a.types {
			ts.FirstSeen, ts.LastSeen = event.FormatMicros(a.firstT[t]), event.FormatMicros(a.lastT[t])
			f.Types = append(f.Types, *ts)
		}
		sort.Slice(f.Types, func(i, j int) bool {
			if f.Types[i].Count != f.Types[j].Count {
				return f.Types[i].Count > f.Types[j].Count
			}
			return f.Types[i].Type < f.Types[j].Type
		})
		f.Type = f.Types[0].Type
		for s, n := range a.services {
			f.Services = append(f.Services, ServiceCount{Service: s, Count: n})
		}
		sort.Slice(f.Services, func(i, j int) bool {
			if f.Services[i].Count != f.Services[j].Count {
				return f.Services[i].Count > f.Services[j].Count
			}
			return f.Services[i].Service < f.Services[j].Service
		})
		if f.Services == nil {
			f.Services = []ServiceCount{}
		}
		f.Drift = drift(f, a.first, a.last, firstEver[name], start, a.firstT, from, to)
		if len(f.Drift) > 0 {
			out.Drift++
		}
		out.Fields = append(out.Fields, *f)
	}
	order := map[string]int{}
	for i, c := range columns {
		order[c] = i
	}
	sort.Slice(out.Fields, func(i, j int) bool {
		a, b := out.Fields[i], out.Fields[j]
		if a.Column != b.Column {
			return a.Column
		}
		if a.Column {
			return order[a.Name] < order[b.Name]
		}
		return a.Name < b.Name
	})
	return out, nil
}

// drift notes a field that appeared within the range (first seen ever
// after its start, and over an hour after the project's first event, so a
// new project's fields are not all "new"), disappeared (not seen in the
// range's last fifth though it had been seen for longer than it has been
// gone, and its rate says five events or more were due), or was seen with
// more than one type (when the later type first showed).
func drift(f *Field, first, last, firstEver, start int64, firstT map[string]int64, from, to int64) []Drift {
	var out []Drift
	if firstEver >= from && firstEver > start+hourMicros {
		out = append(out, Drift{Kind: DriftAppeared, At: event.FormatMicros(firstEver),
			Note: fmt.Sprintf("first seen %s, within this range", fmtTime(firstEver))})
	}
	tail := to - int64(float64(to-from)*tailShare)
	if last < tail && f.Count > 1 && last-first >= to-last {
		rate := float64(f.Count) / float64(last-first)
		if rate*float64(to-last) >= expectedTail {
			out = append(out, Drift{Kind: DriftDisappeared, At: event.FormatMicros(last),
				Note: fmt.Sprintf("last seen %s; at its earlier rate about %.0f events were expected since", fmtTime(last), rate*float64(to-last))})
		}
	}
	if len(f.Types) > 1 {
		// The type that appeared last is the change.
		types := slices.Clone(f.Types)
		sort.Slice(types, func(i, j int) bool { return firstT[types[i].Type] < firstT[types[j].Type] })
		newest := types[len(types)-1]
		var others []string
		for _, t := range types[:len(types)-1] {
			others = append(others, fmt.Sprintf("%s (%d)", t.Type, t.Count))
		}
		out = append(out, Drift{Kind: DriftTypeChanged, At: event.FormatMicros(firstT[newest.Type]),
			Note: fmt.Sprintf("seen as %s and, since %s, as %s (%d)", strings.Join(others, ", "), fmtTime(firstT[newest.Type]), newest.Type, newest.Count)})
	}
	return out
}

func fmtTime(us int64) string { return time.UnixMicro(us).UTC().Format("2006-01-02 15:04 UTC") }
