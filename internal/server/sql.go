package server

import (
	"net/http"
	"time"

	"github.com/lore-dev/lore/internal/analysis/sqlview"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/sqlq"
)

// SQLRequest is the body of POST /api/v1/sql: one read-only SELECT over
// the events view, and the range it sees (as every read route's from and
// to; the last hour by default).
type SQLRequest struct {
	SQL  string `json:"sql"`
	From string `json:"from,omitempty"`
	To   string `json:"to,omitempty"`
}

// handleSQL answers POST /api/v1/sql with a TableResponse: the SELECT
// runs over the events view of the caller's project in [from, to)
// (package sqlview), at most sqlview.MaxRows rows, under the query
// deadline. A text refused, or one the engine cannot bind, is a 400
// saying why (detail: the line and column when the parser gave them).
func (s *Server) handleSQL(w http.ResponseWriter, r *http.Request) (any, error) {
	var req SQLRequest
	if err := decodeJSONBody(r, &req); err != nil {
		return nil, err
	}
	ex, ok := s.d.Reader.(sqlq.Executor)
	if !ok {
		return nil, errs.New(errs.Unsupported, "this store cannot run SQL")
	}
	from, to, err := query.ParseRange(req.From, req.To, s.now(), time.Hour)
	if err != nil {
		return nil, &errs.Error{Kind: errs.Invalid, Msg: "bad time range: " + err.Error(), Detail: map[string]string{"from": req.From, "to": req.To}}
	}
	if to <= from {
		return nil, errs.Invalidf("empty time range: from %q is not before to %q", req.From, req.To)
	}
	start := time.Now()
	res, err := sqlview.Query{SQL: req.SQL, ProjectID: principal(r).ProjectID, From: from, To: to}.Run(r.Context(), ex)
	if err != nil {
		return nil, err
	}
	return TableResponse{Columns: res.Columns, Rows: renderTimes(res.Columns, res.Rows), TookMS: time.Since(start).Milliseconds(),
		From: event.FormatMicros(from), To: event.FormatMicros(to), Truncated: res.Truncated}, nil
}
