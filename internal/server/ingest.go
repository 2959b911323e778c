package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/ingest/native"
	"github.com/lore-dev/lore/internal/ingest/otlp"
)

// IngestResponse is the answer of POST /api/v1/ingest.
type IngestResponse struct {
	Accepted int                `json:"accepted"`
	Rejected int                `json:"rejected"`
	Errors   []native.LineError `json:"errors"`
	// Reasons counts the rejected lines by the reason that starts each
	// error (all of them, even when Errors is cut short).
	Reasons map[string]int `json:"reasons,omitempty"`
	// Duplicate says the request's Idempotency-Key was stored before:
	// nothing was stored again (a retry of a batch whose answer was lost).
	Duplicate bool `json:"duplicate,omitempty"`
}

// maxReportedErrors caps the per-line errors echoed back in one response.
const maxReportedErrors = 1000

func (s *Server) readBody(r *http.Request, path string) ([]byte, error) {
	body, err := ingest.ReadBody(r, s.d.Limits.MaxBodyBytes)
	switch {
	case errors.Is(err, ingest.ErrTooLarge):
		s.d.Sink.Reject(path, "body too large", 1)
		return nil, errs.New(errs.TooLarge, "request body too large: the limit is %d bytes (compressed and decompressed); split the batch", s.d.Limits.MaxBodyBytes)
	case errors.Is(err, ingest.ErrBadEncoding):
		s.d.Sink.Reject(path, "bad encoding", 1)
		return nil, errs.Invalidf("cannot decode request body: %v", err)
	case err != nil:
		s.d.Sink.Reject(path, "read error", 1)
		return nil, errs.Invalidf("cannot read request body: %v", err)
	}
	return body, nil
}

// submit writes a request's decoded events into the sink (limits,
// admission, processing, durable commit), counted under path.
func (s *Server) submit(r *http.Request, path string, events []event.Event) error {
	_, err := s.d.Sink.Write(r.Context(), ingest.Request{Route: path, Events: events})
	return err
}

func (s *Server) handleIngest(w http.ResponseWriter, r *http.Request) (any, error) {
	const path = "/api/v1/ingest"
	done, dup, err := s.idempotent(r, path)
	if err != nil || dup {
		return IngestResponse{Errors: []native.LineError{}, Duplicate: dup}, err
	}
	if r.Header.Get("Idempotency-Key") != "" {
		// The key's outcome must be known: once handed to the pipeline the
		// events are stored even if the client leaves, so the request
		// waits for that instead of ending with the client's context.
		r = r.WithContext(context.WithoutCancel(r.Context()))
	}
	body, err := s.readBody(r, path)
	if err != nil {
		done(false)
		return nil, err
	}
	out, err := s.ingestBody(w, r, path, body)
	done(err == nil)
	return out, err
}

func (s *Server) ingestBody(w http.ResponseWriter, r *http.Request, path string, body []byte) (any, error) {
	if n := bytes.Count(body, []byte{'\n'}); s.d.Limits.MaxLines > 0 && n > s.d.Limits.MaxLines {
		s.d.Sink.Reject(path, "too many lines", 1)
		return nil, errs.New(errs.TooLarge, "too many lines: %d (max %d per request); split the batch", n, s.d.Limits.MaxLines)
	}
	p := principal(r)
	res := native.Decode(body, native.Options{
		ProjectID: p.ProjectID,
		Now:       s.now().UnixMicro(),
		Service:   r.URL.Query().Get("service"),
		MaxLines:  s.d.Limits.MaxLines,
	})
	var reasons map[string]int
	for _, le := range res.Errors {
		reason, _, _ := strings.Cut(le.Error, ":")
		if reasons == nil {
			reasons = map[string]int{}
		}
		reasons[reason]++
	}
	for reason, n := range reasons {
		s.d.Sink.Reject(path, reason, n)
	}
	if err := s.submit(r, path, res.Events); err != nil {
		return nil, err
	}
	out := IngestResponse{Accepted: len(res.Events), Rejected: len(res.Errors), Errors: res.Errors, Reasons: reasons}
	if len(out.Errors) > maxReportedErrors {
		out.Errors = out.Errors[:maxReportedErrors]
	}
	if out.Errors == nil {
		out.Errors = []native.LineError{}
	}
	if out.Accepted == 0 && out.Rejected > 0 {
		writeJSON(w, http.StatusBadRequest, out)
		return written{}, nil
	}
	return out, nil
}

func (s *Server) handleOTLPLogs(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.handleOTLP(w, r, "/v1/logs", otlp.DecodeLogs, otlp.LogsResponse)
}

func (s *Server) handleOTLPTraces(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.handleOTLP(w, r, "/v1/traces", otlp.DecodeTraces, otlp.TracesResponse)
}

func (s *Server) handleOTLP(w http.ResponseWriter, r *http.Request, path string,
	decode func([]byte, string, otlp.Options) ([]event.Event, int, error),
	respond func(string, int, string) ([]byte, string)) (any, error) {
	body, err := s.readBody(r, path)
	if err != nil {
		return nil, err
	}
	ct := r.Header.Get("Content-Type")
	p := principal(r)
	events, rejected, err := decode(body, ct, otlp.Options{ProjectID: p.ProjectID, Now: s.now().UnixMicro()})
	if errors.Is(err, otlp.ErrUnsupportedContentType) {
		s.d.Sink.Reject(path, "unsupported content type", 1)
		return nil, errs.New(errs.MediaType, "%v: send application/x-protobuf or application/json", err)
	}
	if err != nil {
		s.d.Sink.Reject(path, "undecodable", 1)
		return nil, errs.Invalidf("cannot decode OTLP request: %v", err)
	}
	if rejected > 0 {
		s.d.Sink.Reject(path, "invalid record", rejected)
	}
	if err := s.submit(r, path, events); err != nil {
		return nil, err
	}
	msg := ""
	if rejected > 0 {
		msg = fmt.Sprintf("%d records rejected (invalid trace or span ids)", rejected)
	}
	b, rct := respond(ct, rejected, msg)
	w.Header().Set("Content-Type", rct)
	w.WriteHeader(http.StatusOK)
	w.Write(b)
	return written{}, nil
}
