// Package metrics is a small Prometheus text-format registry for Lore's own
// numbers: labelled counters updated on the request path, and gauges and
// histograms read from their owners when /metrics is scraped.
package metrics

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Registry holds the metrics of one server. The zero value is not usable;
// call New.
type Registry struct {
	mu         sync.Mutex
	counters   []*CounterVec
	collectors []func(w io.Writer)
}

// New returns an empty registry.
func New() *Registry { return &Registry{} }

// CounterVec is a counter with labels.
type CounterVec struct {
	name, help string
	labels     []string
	mu         sync.Mutex
	values     map[string]float64 // joined label values → count
}

// Counter registers a counter with the given label names.
func (r *Registry) Counter(name, help string, labels ...string) *CounterVec {
	c := &CounterVec{name: name, help: help, labels: labels, values: map[string]float64{}}
	r.mu.Lock()
	r.counters = append(r.counters, c)
	r.mu.Unlock()
	return c
}

// Add adds n to the series with these label values (in registration order).
func (c *CounterVec) Add(n float64, labelValues ...string) {
	k := strings.Join(labelValues, "\x00")
	c.mu.Lock()
	c.values[k] += n
	c.mu.Unlock()
}

// Value returns the current value of a series (for tests).
func (c *CounterVec) Value(labelValues ...string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.values[strings.Join(labelValues, "\x00")]
}

// Gauge registers a gauge read from f at scrape time.
func (r *Registry) Gauge(name, help string, f func() float64) {
	r.Collect(func(w io.Writer) {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s gauge\n%s %s\n", name, help, name, name, formatFloat(f()))
	})
}

// Histogram is a snapshot of a cumulative histogram.
type Histogram struct {
	Bounds []float64 // upper bounds, ascending, without +Inf
	Counts []uint64  // cumulative counts per bound
	Count  uint64
	Sum    float64
}

// HistogramFunc registers a histogram read from f at scrape time.
func (r *Registry) HistogramFunc(name, help string, f func() Histogram) {
	r.Collect(func(w io.Writer) { r.WriteHistogram(w, name, help, f()) })
}

// WriteHistogram writes one histogram in the exposition format; collectors
// registered with Collect use it.
func (r *Registry) WriteHistogram(w io.Writer, name, help string, h Histogram) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name)
	for i, b := range h.Bounds {
		var c uint64
		if i < len(h.Counts) {
			c = h.Counts[i]
		}
		fmt.Fprintf(w, "%s_bucket{le=\"%s\"} %d\n", name, formatFloat(b), c)
	}
	fmt.Fprintf(w, "%s_bucket{le=\"+Inf\"} %d\n%s_sum %s\n%s_count %d\n", name, h.Count, name, formatFloat(h.Sum), name, h.Count)
}

// Collect registers a function that writes its own exposition lines.
func (r *Registry) Collect(f func(w io.Writer)) {
	r.mu.Lock()
	r.collectors = append(r.collectors, f)
	r.mu.Unlock()
}

// Write writes every metric in the Prometheus text format 0.0.4.
func (r *Registry) Write(w io.Writer) {
	r.mu.Lock()
	counters := append([]*CounterVec(nil), r.counters...)
	collectors := append([]func(io.Writer){}, r.collectors...)
	r.mu.Unlock()
	for _, c := range counters {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n", c.name, c.help, c.name)
		c.mu.Lock()
		keys := make([]string, 0, len(c.values))
		for k := range c.values {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "%s%s %s\n", c.name, labelString(c.labels, k), formatFloat(c.values[k]))
		}
		c.mu.Unlock()
	}
	for _, f := range collectors {
		f(w)
	}
}

func labelString(names []string, joined string) string {
	if len(names) == 0 {
		return ""
	}
	vals := strings.Split(joined, "\x00")
	var b strings.Builder
	b.WriteByte('{')
	for i, n := range names {
		if i > 0 {
			b.WriteByte(',')
		}
		v := ""
		if i < len(vals) {
			v = vals[i]
		}
		b.WriteString(n)
		b.WriteString(`="`)
		b.WriteString(strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`).Replace(v))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
