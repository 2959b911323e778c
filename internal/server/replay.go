package server

import (
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/replay"
)

// ReplayService keeps session recordings (*replay.Service): Lore's SDK's
// chunks (POST /api/v1/replay) and posthog-js's (/s/), and plays them
// back.
type ReplayService interface {
	Policy(ctx context.Context, project int64) (replay.Policy, error)
	Limits() replay.Limits
	Accept(ctx context.Context, project int64, origin string, body []byte) (replay.Accepted, error)
	AddRecordings(ctx context.Context, project int64, sentAt int64, messages []map[string]any) (int, error)
	Replays(ctx context.Context, project int64, sessions []string) ([]replay.Recording, error)
	ReplaysOf(ctx context.Context, project int64, persons []string, from, to int64, limit int) ([]replay.Recording, error)
	WriteEvents(ctx context.Context, project int64, session string, w io.Writer) error
}

var _ ReplayService = (*replay.Service)(nil)

// ReplaysAnswer is GET /api/v1/replays: the recordings of the sessions
// asked for that have one.
type ReplaysAnswer struct {
	Replays []replay.Recording `json:"replays"`
}

// ReplayConfig is GET /api/v1/replay/config: what the browser SDK is told
// at start-up — whether to record, and how.
type ReplayConfig struct {
	Enabled       bool    `json:"enabled"`
	SampleRate    float64 `json:"sample_rate"`
	OnError       bool    `json:"on_error"`
	Endpoint      string  `json:"endpoint"`
	MaxChunkBytes int64   `json:"max_chunk_bytes"`
}

// replayRoutes serves recordings: the SDK's upload and configuration
// (browser routes, answering the project's allowed origins), and their
// playback for the UI (read key).
func (s *Server) replayRoutes(b *browserMux, read route) {
	if s.d.Replay == nil {
		return
	}
	const up = "/api/v1/replay"
	b.mux.Handle("POST "+up, s.instrument("POST "+up, s.wrap(s.replayCORS(s.limitInflight(up, s.handleReplayUpload)))))
	b.mux.Handle("OPTIONS "+up, s.instrument("OPTIONS "+up, s.wrap(s.replayCORS(func(w http.ResponseWriter, r *http.Request) (any, error) {
		w.WriteHeader(http.StatusNoContent)
		return written{}, nil
	}))))
	b.handle("GET "+up+"/config", s.instrument("GET "+up+"/config", s.wrap(s.handleReplayConfig)))
	read("GET /api/v1/replays", s.handleReplays)
	read("GET /api/v1/replays/{session}/events", s.handleReplayEvents)
}

// replayKey is the ingest key of a recording upload: in the query
// (?key=, which navigator.sendBeacon can carry) or a header.
func replayKey(r *http.Request) string {
	return firstNonEmpty(r.URL.Query().Get("key"), bearer(r))
}

// replayCORS authenticates an upload's key and answers its page's
// origin when the project allows it: the origin itself (Vary: Origin)
// when the project names its origins, any origin when it names none. A
// page of another origin gets no CORS header and a 403.
func (s *Server) replayCORS(next handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		p, err := s.keyProject(r.Context(), replayKey(r), "missing ingest key: send it as ?key=KEY")
		if err != nil {
			setCORS(w.Header()) // the page may read why
			return nil, err
		}
		pol, err := s.d.Replay.Policy(r.Context(), p.ProjectID)
		if err != nil {
			return nil, err
		}
		origin := r.Header.Get("Origin")
		if !pol.AllowsOrigin(origin) {
			s.d.Sink.Reject("/api/v1/replay", "origin", 1)
			return nil, errs.New(errs.Forbidden, "origin %q may not send recordings to this project: add it to the capture settings' replay_origins", origin)
		}
		h := w.Header()
		setCORS(h)
		if len(pol.AllowedOrigins) > 0 && origin != "" {
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
		}
		return next(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// handleReplayUpload takes one chunk of a recording, the body as the SDK
// sends it (gzip by the browser's CompressionStream, no Content-Encoding,
// so that sendBeacon can send it). It answers once the chunk is durable.
func (s *Server) handleReplayUpload(w http.ResponseWriter, r *http.Request) (any, error) {
	const path = "/api/v1/replay"
	lim := s.d.Replay.Limits()
	body, err := io.ReadAll(io.LimitReader(r.Body, lim.MaxChunkBytes+1))
	if err != nil {
		s.d.Sink.Reject(path, "read error", 1)
		return nil, errs.Invalidf("cannot read request body: %v", err)
	}
	if int64(len(body)) > lim.MaxChunkBytes {
		s.d.Sink.Reject(path, "chunk too large", 1)
		return nil, errs.New(errs.TooLarge, "replay chunk over the %d-byte limit per chunk: send smaller batches", lim.MaxChunkBytes)
	}
	if enc := r.Header.Get("Content-Encoding"); enc != "" {
		if body, err = ingest.Decompress(body, enc, lim.MaxRawChunkBytes); errors.Is(err, ingest.ErrTooLarge) {
			s.d.Sink.Reject(path, "chunk too large", 1)
			return nil, errs.New(errs.TooLarge, "replay chunk decompresses past the %d-byte limit per chunk", lim.MaxRawChunkBytes)
		} else if err != nil {
			s.d.Sink.Reject(path, "bad encoding", 1)
			return nil, errs.Invalidf("cannot decode request body: %v", err)
		}
	}
	a, err := s.d.Replay.Accept(r.Context(), principal(r).ProjectID, r.Header.Get("Origin"), body)
	if err != nil {
		s.d.Sink.Reject(path, replayReason(err), 1)
		return nil, err // an overloaded log is errs.Overloaded: 429 with Retry-After
	}
	return a, nil
}

// replayReason labels a refused chunk in lore_events_rejected_total.
func replayReason(err error) string {
	switch {
	case errors.Is(err, replay.ErrTooLarge):
		return "over limit"
	case errors.Is(err, replay.ErrInvalid):
		return "invalid"
	case errors.Is(err, replay.ErrDisabled):
		return "recording off"
	case errors.Is(err, replay.ErrOrigin):
		return "origin"
	case errs.Is(err, errs.Overloaded):
		return "overloaded"
	}
	return "error"
}

// handleReplayConfig tells the SDK whether and how to record (the
// project's capture settings), by its ingest key in ?key=.
func (s *Server) handleReplayConfig(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.keyProject(r.Context(), replayKey(r), "missing ingest key: send it as ?key=KEY")
	if err != nil {
		return nil, err
	}
	pol, err := s.d.Replay.Policy(r.Context(), p.ProjectID)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Cache-Control", "private, max-age=60")
	return ReplayConfig{Enabled: pol.Enabled, SampleRate: pol.SampleRate, OnError: pol.OnError,
		Endpoint: "/api/v1/replay", MaxChunkBytes: s.d.Replay.Limits().MaxChunkBytes}, nil
}

// handleReplays lists the recordings of the sessions named by ?session=
// (repeated, or comma-separated; at most 500), or those of the persons
// named by ?person= (user or anonymous ids, at most 100) recorded in the
// time range (from, to; default the last 31 days), newest first, at most
// limit (default 100).
func (s *Server) handleReplays(w http.ResponseWriter, r *http.Request) (any, error) {
	v := r.URL.Query()
	ids, persons := listParam(v["session"]), listParam(v["person"])
	if len(ids) == 0 && len(persons) == 0 {
		return nil, errs.Invalidf("name the sessions or the persons: ?session=ID or ?person=ID (repeated or comma-separated)")
	}
	if len(ids) > 0 && len(persons) > 0 {
		return nil, errs.Invalidf("ask for sessions or for persons, not both")
	}
	if len(ids) > 500 {
		return nil, errs.Invalidf("%d sessions asked for: at most 500 a request", len(ids))
	}
	if len(persons) > 100 {
		return nil, errs.Invalidf("%d persons asked for: at most 100 a request", len(persons))
	}
	var (
		got []replay.Recording
		err error
	)
	if len(persons) > 0 {
		from, to, perr := query.ParseRange(v.Get("from"), v.Get("to"), s.now(), 31*24*time.Hour)
		if perr != nil {
			return nil, errs.Invalidf("bad time range: %v", perr)
		}
		limit, lerr := intParam(r, "limit", 100, 500)
		if lerr != nil {
			return nil, lerr
		}
		got, err = s.d.Replay.ReplaysOf(r.Context(), principal(r).ProjectID, persons, from/1000, to/1000, limit)
	} else {
		got, err = s.d.Replay.Replays(r.Context(), principal(r).ProjectID, ids)
	}
	if err != nil {
		return nil, err
	}
	if got == nil {
		got = []replay.Recording{}
	}
	return ReplaysAnswer{Replays: got}, nil
}

// handleReplayEvents plays a session's recording back: its rrweb events
// on Lore's clock, gzip-compressed when the client accepts it.
func (s *Server) handleReplayEvents(w http.ResponseWriter, r *http.Request) (any, error) {
	session := r.PathValue("session")
	p := principal(r).ProjectID
	// A session without a recording is a 404 before anything is written.
	got, err := s.d.Replay.Replays(r.Context(), p, []string{session})
	if err != nil {
		return nil, err
	}
	if len(got) == 0 {
		return nil, errs.New(errs.NotFound, "no recording of session %q", session)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "private, max-age=60")
	var out io.Writer = w
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		h.Add("Vary", "Accept-Encoding")
		zw, _ := gzip.NewWriterLevel(w, gzip.BestSpeed)
		defer zw.Close()
		out = zw
	}
	if err := s.d.Replay.WriteEvents(r.Context(), p, session, out); err != nil {
		s.log.WarnContext(r.Context(), "replay playback cut short", "session", session, "err", err)
	}
	return written{}, nil
}

// listParam splits repeated, comma-separated values, dropping empty ones.
func listParam(vs []string) []string {
	var out []string
	for _, v := range vs {
		for _, id := range strings.Split(v, ",") {
			if id = strings.TrimSpace(id); id != "" {
				out = append(out, id)
			}
		}
	}
	return out
}
