package meta

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/sqlq"
)

// Aggregate is what an aggregate monitor's pipeline answers: one row per
// group, the group named by the Keys columns' values, and the Measure
// column compared with the threshold.
type Aggregate struct {
	Pipeline *pipes.Pipeline
	Keys     []string // the columns that name a group, in order ("" group: none)
	Measure  string   // the numeric column the threshold applies to
}

// AggregateOf checks an aggregate monitor's query and measure: a pipeline
// whose answer is a table of groups (a stats, top or rare pipe, no time
// buckets), its group columns still in the answer, and measure one of its
// numeric columns (default: the first numeric column that names no
// group). Errors name the pipe and column, as the query API's do.
func AggregateOf(text, measure string) (Aggregate, error) {
	p, err := pipes.Parse(text)
	if err != nil {
		return Aggregate{}, err
	}
	var keys []string
	last := -1
	for i, s := range p.Pipes {
		switch op := s.Op.(type) {
		case *pipes.Stats:
			if op.Timechart {
				return Aggregate{}, fmt.Errorf("pipe %d (timechart): a monitor reads its whole window as one value per group; use stats … by FIELD", i+1)
			}
			keys = keys[:0]
			for _, b := range op.By {
				if b.Field == "" {
					return Aggregate{}, fmt.Errorf("pipe %d (stats): a monitor reads its whole window as one value per group; drop by bin(…)", i+1)
				}
				keys = append(keys, b.Field)
			}
			last = i
		case *pipes.Top:
			keys = append(keys[:0], op.Fields...)
			last = i
		}
	}
	if last < 0 {
		return Aggregate{}, errors.New("an aggregate monitor's query ends in numbers: add a stats pipe, e.g. `service:payment-service | stats p95(duration_ms) as p95 by endpoint`")
	}
	// The columns of the answer (the dialect does not change them).
	c, err := pipes.Compile(p, sqlq.DuckDB{}, 0, 0, 3_600_000_000)
	if err != nil {
		return Aggregate{}, err
	}
	var numbers []string
	has := map[string]bool{}
	for _, col := range c.Columns {
		has[col.Name] = true
		if col.Type == pipes.Number && !slices.Contains(keys, col.Name) {
			numbers = append(numbers, col.Name)
		}
	}
	for _, k := range keys {
		if !has[k] {
			return Aggregate{}, fmt.Errorf("the answer drops the group column %q that pipe %d groups by: keep it (fields %s, …)", k, last+1, k)
		}
	}
	measure = strings.TrimSpace(measure)
	switch {
	case len(numbers) == 0:
		return Aggregate{}, errors.New("the answer has no numeric column to compare with the threshold")
	case measure == "":
		measure = numbers[0]
	case !slices.Contains(numbers, measure):
		return Aggregate{}, fmt.Errorf("measure %q is not a numeric column of the answer (want one of %s)", measure, strings.Join(numbers, ", "))
	}
	return Aggregate{Pipeline: p, Keys: keys, Measure: measure}, nil
}
