package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
)

// TableResponse is the answer of GET /api/v1/query for a query with
// pipes, and of POST /api/v1/sql: columns, rows in the columns' order
// (numbers, strings, booleans, null; a "time" column's values as RFC
// 3339), and how long the engine took.
type TableResponse struct {
	Columns []pipes.Column `json:"columns"`
	Rows    [][]any        `json:"rows"`
	TookMS  int64          `json:"took_ms"`
	// Aggregate is set when a pipe aggregates (stats, timechart, top,
	// rare): the rows are groups, not events.
	Aggregate bool `json:"aggregate"`
	// Chart is how the answer draws: "line" for timechart and stats by
	// bin() (the first column is the time), "bar" for other aggregates,
	// empty for rows of events.
	Chart string `json:"chart,omitempty"`
	From  string `json:"from"`
	To    string `json:"to"`
	// Truncated is set when the answer stopped at the row limit.
	Truncated bool `json:"truncated,omitempty"`
}

// QueryErrorDetail is the detail of a 400 for a query that does not parse
// or compile: the pipe (1-based; 0 for the search before the first '|'),
// its name, and the 1-based character column in q.
type QueryErrorDetail struct {
	Q      string `json:"q"`
	Pipe   int    `json:"pipe"`
	Name   string `json:"name,omitempty"`
	Column int    `json:"column,omitempty"`
}

// handleQuery answers GET /api/v1/query: a search with no pipe answers as
// GET /api/v1/search does (events, next_cursor); a search with pipes
// answers a table (TableResponse), whether they aggregate or not.
func (s *Server) handleQuery(w http.ResponseWriter, r *http.Request) (any, error) {
	text := r.URL.Query().Get("q")
	p, err := pipes.Parse(text)
	if err != nil {
		return nil, queryError(text, err)
	}
	if len(p.Pipes) == 0 {
		return s.handleSearch(w, r)
	}
	ex, ok := s.d.Reader.(sqlq.Executor)
	if !ok {
		return nil, errs.New(errs.Unsupported, "this store cannot run pipes")
	}
	v := r.URL.Query()
	from, to, err := query.ParseRange(v.Get("from"), v.Get("to"), s.now(), time.Hour)
	if err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Msg: "bad time range: " + err.Error(), Detail: map[string]string{"from": v.Get("from"), "to": v.Get("to")}}
	}
	if to <= from {
		return nil, errs.Invalidf("empty time range: from %q is not before to %q", v.Get("from"), v.Get("to"))
	}
	start := time.Now()
	res, err := pipes.Query{Pipeline: p, ProjectID: principal(r).ProjectID, From: from, To: to}.Run(r.Context(), ex)
	if err != nil {
		return nil, queryError(text, err)
	}
	out := TableResponse{Columns: res.Columns, Rows: renderTimes(res.Columns, res.Rows), TookMS: time.Since(start).Milliseconds(),
		Aggregate: p.Aggregates(), Chart: chartOf(p), From: event.FormatMicros(from), To: event.FormatMicros(to),
		Truncated: len(res.Rows) >= pipes.MaxRows}
	return out, nil
}

// queryError is a 400 naming the pipe and the column of a query that
// does not parse or compile; any other error is returned as it is.
func queryError(text string, err error) error {
	var pe *pipes.Error
	if !errors.As(err, &pe) {
		return err
	}
	return &errs.Error{Kind: errs.Invalid, Msg: fmt.Sprintf("bad query %q: %v", text, pe),
		Detail: QueryErrorDetail{Q: text, Pipe: pe.Pipe, Name: pe.Name, Column: pe.Column}}
}

// renderTimes writes the values of the "time" columns (microseconds) as
// RFC 3339, in place.
func renderTimes(cols []pipes.Column, rows [][]any) [][]any {
	for i, c := range cols {
		if c.Type != pipes.Time {
			continue
		}
		for _, row := range rows {
			if us, ok := row[i].(int64); ok {
				row[i] = event.FormatMicros(us)
			}
		}
	}
	return rows
}

// chartOf is how a pipeline's answer draws (TableResponse.Chart): the
// last aggregating pipe decides.
func chartOf(p *pipes.Pipeline) string {
	chart := ""
	for _, pipe := range p.Pipes {
		switch op := pipe.Op.(type) {
		case *pipes.Stats:
			chart = "bar"
			if op.Timechart || (len(op.By) > 0 && op.By[0].Bin > 0) {
				chart = "line"
			}
		case *pipes.Top:
			chart = "bar"
		}
	}
	return chart
}
