// Package fields is Lore's data dictionary: a pipeline processor that keeps
// a small catalogue of every field seen at ingest (its types, the services
// that send it, when, how many distinct values and a few examples), and the
// query that turns the catalogue into the dictionary with schema-drift notes
// (a field that appeared, disappeared or changed type).
//
// The catalogue costs one map lookup per field of an event at ingest and
// is flushed to the store every few seconds as one row per project, hour,
// field, type and service (plus one per project, day and field for the
// values), so the dictionary of 10M events reads a few thousand rows and
// never unnests the events' attributes.
package fields

import (
	"context"
	"encoding/binary"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/store"
)

// Field types, as inferred from values. Core columns have fixed types.
const (
	TypeString = "string"
	TypeNumber = "number"
	TypeBool   = "bool"
	TypeJSON   = "json" // an array or object kept as JSON text
	TypeID     = "id"   // a hex trace or span id
)

var typeNames = [...]string{TypeString, TypeNumber, TypeBool, TypeJSON, TypeID}

const nTypes = len(typeNames)

// maxFieldsPerGroup bounds the distinct fields tracked per project, hour
// and service, so events with ids in their attribute keys cannot grow the
// catalogue without end; fields beyond it are counted in Dropped.
const maxFieldsPerGroup = 1000

// maxExampleBytes truncates example values.
const maxExampleBytes = 120

const (
	hourMicros = int64(time.Hour / time.Microsecond)
	dayMicros  = 24 * hourMicros
)

// Catalogue is the ingest processor that records fields. It is safe for
// concurrent use; Run flushes it to the store periodically.
type Catalogue struct {
	store store.FieldRecorder
	log   *slog.Logger

	mu      sync.Mutex
	groups  map[groupKey]*group
	values  map[valueKey]*values
	dropped int64
	flushMu sync.Mutex // one flush at a time, so merged rows are not written twice
}

type groupKey struct {
	project, hour int64
	service       string
}

type group struct {
	cols   [nColumns]*fieldAgg  // the core columns, by their index in columns
	fields map[string]*fieldAgg // every field, columns included
}

type fieldAgg struct {
	count  [nTypes]int64
	first  [nTypes]int64
	last   [nTypes]int64
	values *values // the field's values of the event's day
}

type valueKey struct {
	project, day int64
	field        string
}

type values struct {
	sketch   sketch
	examples []string
	tries    int // values looked at for examples; bounded by maxExampleTries
}

// maxExampleTries stops looking for new examples of a field (in a day,
// between flushes) after this many values: a field with fewer distinct
// values than MaxFieldExamples would otherwise format and compare every
// value of every event.
const maxExampleTries = 256

var _ ingest.Processor = (*Catalogue)(nil)

// NewCatalogue returns an empty catalogue writing to st.
func NewCatalogue(st store.FieldRecorder, log *slog.Logger) *Catalogue {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Catalogue{store: st, log: log, groups: map[groupKey]*group{}, values: map[valueKey]*values{}}
}

// Process implements ingest.Processor: it records every event's fields
// and passes the events on unchanged.
func (c *Catalogue) Process(_ context.Context, evs []event.Event) ([]event.Event, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var last groupKey
	var g *group
	var buf [8]byte
	for i := range evs {
		e := &evs[i]
		k := groupKey{project: e.ProjectID, hour: floor(e.TS, hourMicros), service: e.Service}
		if g == nil || k != last {
			g = c.groups[k]
			if g == nil {
				g = &group{fields: map[string]*fieldAgg{}}
				k.service = strings.Clone(k.service)
				c.groups[k] = g
			}
			last = k
		}
		r := recorder{c: c, g: g, e: e, day: floor(e.TS, dayMicros)}
		// The numbers are the columns' indexes in columns.
		r.str(0, e.Kind)
		r.str(1, e.Level)
		r.str(2, e.Service)
		r.str(3, e.Env)
		r.str(4, e.Release)
		r.str(5, e.Host)
		if !e.TraceID.IsZero() {
			r.id(6, e.TraceID[:], e.TraceID.String)
		}
		if !e.SpanID.IsZero() {
			r.id(7, e.SpanID[:], e.SpanID.String)
		}
		if !e.ParentSpanID.IsZero() {
			r.id(8, e.ParentSpanID[:], e.ParentSpanID.String)
		}
		r.str(9, e.UserID)
		r.str(10, e.AnonymousID)
		r.str(11, e.SessionID)
		r.str(12, e.RequestID)
		r.str(13, e.Name)
		r.str(14, e.Message)
		r.str(15, e.HTTPMethod)
		r.str(16, e.Endpoint)
		if e.HTTPStatus != 0 {
			binary.LittleEndian.PutUint64(buf[:], uint64(e.HTTPStatus))
			r.num(17, buf[:], func() string { return strconv.Itoa(int(e.HTTPStatus)) })
		}
		if e.DurationMS != 0 {
			binary.LittleEndian.PutUint64(buf[:], math.Float64bits(e.DurationMS))
			r.num(18, buf[:], func() string { return strconv.FormatFloat(e.DurationMS, 'g', -1, 64) })
		}
		r.str(19, e.ErrorType)
		r.str(20, e.ErrorCode)
		r.str(21, e.Fingerprint)
		if e.RetryAttempt != 0 {
			binary.LittleEndian.PutUint64(buf[:], uint64(e.RetryAttempt))
			r.num(22, buf[:], func() string { return strconv.Itoa(int(e.RetryAttempt)) })
		}
		for _, a := range e.Attributes {
			r.attr(a.Key, a.Value)
		}
	}
	return evs, nil
}

// recorder records the fields of one event; the catalogue's lock is held.
type recorder struct {
	c   *Catalogue
	g   *group
	e   *event.Event
	day int64
}

// field finds the aggregate of a column (col ≥ 0, its index in columns)
// or of an attribute (col < 0, by name).
func (r *recorder) field(col int, name string) *fieldAgg {
	var f *fieldAgg
	if col >= 0 {
		if f = r.g.cols[col]; f != nil {
			return f
		}
		name = columns[col]
	}
	f = r.g.fields[name]
	if f == nil {
		if len(r.g.fields) >= maxFieldsPerGroup {
			r.c.dropped++
			return nil
		}
		name = strings.Clone(name)
		f = &fieldAgg{}
		r.g.fields[name] = f
	}
	// A group is one hour, so all its events fall on one day: the
	// field's values pointer stays valid for the group's life.
	if f.values == nil {
		vk := valueKey{project: r.e.ProjectID, day: r.day, field: name}
		v := r.c.values[vk]
		if v == nil {
			vk.field = strings.Clone(name)
			v = &values{}
			r.c.values[vk] = v
		}
		f.values = v
	}
	if col >= 0 {
		r.g.cols[col] = f
	}
	return f
}

func (r *recorder) seen(f *fieldAgg, t int) {
	ts := r.e.TS
	if f.count[t] == 0 || ts < f.first[t] {
		f.first[t] = ts
	}
	if ts > f.last[t] {
		f.last[t] = ts
	}
	f.count[t]++
}

func (r *recorder) str(col int, v string) {
	if v == "" {
		return
	}
	r.value(col, "", 0, xxhash.Sum64String(v), func() string { return v })
}

func (r *recorder) id(col int, raw []byte, text func() string) {
	r.value(col, "", 4, xxhash.Sum64(raw), text)
}

func (r *recorder) num(col int, raw []byte, text func() string) {
	r.value(col, "", 1, xxhash.Sum64(raw), text)
}

func (r *recorder) attr(name, v string) {
	r.value(-1, name, inferType(v), xxhash.Sum64String(v), func() string { return v })
}

func (r *recorder) value(col int, name string, t int, h uint64, text func() string) {
	f := r.field(col, name)
	if f == nil {
		return
	}
	r.seen(f, t)
	f.values.sketch.add(h)
	if v := f.values; len(v.examples) < store.MaxFieldExamples && v.tries < maxExampleTries {
		v.tries++
		s := event.CutText(text(), maxExampleBytes)
		for _, x := range f.values.examples {
			if x == s {
				return
			}
		}
		f.values.examples = append(f.values.examples, strings.Clone(s))
	}
}

// inferType returns the index in typeNames of a value's type: a number
// (JSON number syntax or Go's float syntax), a boolean, JSON text (an
// array or object), or else a string.
func inferType(v string) int {
	if v == "" {
		return 0
	}
	switch c := v[0]; {
	case c == 't' && v == "true", c == 'f' && v == "false":
		return 2
	case c == '[' || c == '{':
		if v[len(v)-1] == ']' || v[len(v)-1] == '}' {
			return 3
		}
	case c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9'):
		if _, err := strconv.ParseFloat(v, 64); err == nil {
			return 1
		}
	}
	return 0
}

func floor(ts, unit int64) int64 {
	if ts < 0 {
		return (ts - unit + 1) / unit * unit
	}
	return ts / unit * unit
}

// Dropped is the number of field occurrences not recorded because their
// group had too many distinct fields.
func (c *Catalogue) Dropped() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped
}

// Flush writes what was recorded since the last flush to the store. On
// failure the rows are merged back, to be written by the next flush.
func (c *Catalogue) Flush(ctx context.Context) error {
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.mu.Lock()
	groups, vals := c.groups, c.values
	if len(groups) == 0 && len(vals) == 0 {
		c.mu.Unlock()
		return nil
	}
	c.groups, c.values = map[groupKey]*group{}, map[valueKey]*values{}
	c.mu.Unlock()

	var seen []store.FieldSeen
	for k, g := range groups {
		for name, f := range g.fields {
			for t := range nTypes {
				if f.count[t] == 0 {
					continue
				}
				seen = append(seen, store.FieldSeen{ProjectID: k.project, Hour: k.hour, Field: name, Type: typeNames[t],
					Service: k.service, Count: f.count[t], FirstTS: f.first[t], LastTS: f.last[t]})
			}
		}
	}
	vs := make([]store.FieldValues, 0, len(vals))
	for k, v := range vals {
		vs = append(vs, store.FieldValues{ProjectID: k.project, Day: k.day, Field: k.field, Sketch: v.sketch[:], Examples: v.examples})
	}
	if err := c.store.RecordFields(ctx, seen, vs); err != nil {
		c.restore(groups, vals)
		return err
	}
	return nil
}

// Forget drops ids from the examples of project's fields not yet flushed,
// and returns how many it dropped: a person erased on another node, whose
// ids this catalogue saw in the events it took, must not be written back
// to the store by its next flush. An id is matched as examples keep it
// (cut to maxExampleBytes). It waits for a flush under way, so that what
// that flush wrote is in the store when it returns.
func (c *Catalogue) Forget(project int64, ids []string) int {
	drop := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id != "" {
			drop[event.CutText(id, maxExampleBytes)] = true
		}
	}
	c.flushMu.Lock()
	defer c.flushMu.Unlock()
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, v := range c.values {
		if k.project != project {
			continue
		}
		v.examples = slices.DeleteFunc(v.examples, func(x string) bool {
			if drop[x] {
				n++
				return true
			}
			return false
		})
	}
	return n
}

// restore merges rows that failed to flush back into the catalogue.
func (c *Catalogue) restore(groups map[groupKey]*group, vals map[valueKey]*values) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range vals {
		cur := c.values[k]
		if cur == nil {
			c.values[k] = v
			continue
		}
		mergeInto(cur.sketch[:], v.sketch[:])
		for _, x := range v.examples {
			if len(cur.examples) < store.MaxFieldExamples {
				cur.examples = append(cur.examples, x)
			}
		}
	}
	for k, g := range groups {
		cur := c.groups[k]
		if cur == nil {
			c.groups[k] = g
			for name, f := range g.fields {
				f.values = c.values[valueKey{project: k.project, day: floor(k.hour, dayMicros), field: name}]
			}
			continue
		}
		for name, f := range g.fields {
			cf := cur.fields[name]
			if cf == nil {
				f.values = c.values[valueKey{project: k.project, day: floor(k.hour, dayMicros), field: name}]
				cur.fields[name] = f
				if i := slices.Index(columns[:], name); i >= 0 {
					cur.cols[i] = f
				}
				continue
			}
			for t := range nTypes {
				if f.count[t] == 0 {
					continue
				}
				if cf.count[t] == 0 || f.first[t] < cf.first[t] {
					cf.first[t] = f.first[t]
				}
				cf.last[t] = max(cf.last[t], f.last[t])
				cf.count[t] += f.count[t]
			}
		}
	}
}

// Run flushes every interval until ctx is done; the owner flushes once
// more on shutdown.
func (c *Catalogue) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := c.Flush(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("flush field catalogue", "err", err)
			}
		}
	}
}
