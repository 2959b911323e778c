package server

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/sentry"
	"github.com/lore-dev/lore/internal/issue"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/store"
)

// IssuesService is what the issues routes need (*issue.Service).
type IssuesService interface {
	List(ctx context.Context, r issue.ListRequest) (issue.List, error)
	Get(ctx context.Context, r issue.DetailRequest) (issue.Detail, error)
	Events(ctx context.Context, r issue.EventsRequest) (issue.EventList, error)
	Apply(ctx context.Context, project, id int64, u issue.Update, rng storeRange) (issue.Detail, error)
	Signals(ctx context.Context, project, since int64) ([]meta.IssueSignal, error)
	Settings(ctx context.Context, project int64) (issue.Settings, error)
	SetSettings(ctx context.Context, project int64, st issue.Settings) (issue.Settings, error)
}

var _ IssuesService = (*issue.Service)(nil)

// issueRange is how far back the issues API looks by default.
const issueRange = 14 * 24 * time.Hour

// sentryRoute is the Sentry endpoints' label in metrics.
const sentryRoute = "/api/{project}/envelope/"

// issueRoutes registers the Sentry ingest endpoints and the issues API.
//
// The Sentry endpoints, POST /api/{project}/envelope/ and
// /api/{project}/store/, cannot be mux patterns beside the "/api/v1/"
// catch-all (they overlap without either being more specific), so they
// are served by a handler on "/api/" that routes them and answers 404 for
// the rest. They authenticate the way Sentry's SDKs do: the DSN's public
// key (the project's ingest key) in X-Sentry-Auth, Authorization or
// ?sentry_key=.
func (s *Server) issueRoutes(mux *routeMux, ingest, read route) {
	mux.Handle("/api/", s.instrumentFallback(sentryRoute, http.HandlerFunc(s.serveSentry)))
	if s.d.Issues == nil {
		return
	}
	read("GET /api/v1/issues", s.handleIssues)
	read("GET /api/v1/issues/signals", s.handleIssueSignals)
	read("GET /api/v1/issues/settings", s.handleIssueSettings)
	read("PUT /api/v1/issues/settings", s.handlePutIssueSettings)
	read("GET /api/v1/issues/{id}", s.handleIssue)
	read("GET /api/v1/issues/{id}/events", s.handleIssueEvents)
	read("PATCH /api/v1/issues/{id}", s.handlePatchIssue)
}

// serveSentry routes /api/{project}/envelope/ and /api/{project}/store/.
func (s *Server) serveSentry(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || (parts[2] != "envelope" && parts[2] != "store") {
		s.wrap(func(w http.ResponseWriter, r *http.Request) (any, error) {
			return nil, errs.New(errs.NotFound, "no API route %s %s", r.Method, r.URL.Path)
		})(w, r)
		return
	}
	// Browser SDKs post cross-origin (browser.go).
	setCORS(w.Header())
	if r.Method == http.MethodOptions {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Method != http.MethodPost {
		s.wrap(func(w http.ResponseWriter, r *http.Request) (any, error) {
			return nil, errs.New(errs.NotAllowed, "%s needs POST", r.URL.Path)
		})(w, r)
		return
	}
	h := s.handleSentryEnvelope
	if parts[2] == "store" {
		h = s.handleSentryStore
	}
	// A browser endpoint: browser keys work here (browser.go).
	r = r.WithContext(context.WithValue(r.Context(), browserOrigin{}, pageOrigin(r)))
	s.wrap(s.sentryAuth(parts[1], s.limitInflight(sentryRoute, h)))(w, r)
}

// sentryKey finds the DSN public key as Sentry SDKs send it.
func sentryKey(r *http.Request) string {
	for _, h := range []string{r.Header.Get("X-Sentry-Auth"), r.Header.Get("Authorization")} {
		rest, ok := strings.CutPrefix(strings.TrimSpace(h), "Sentry ")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(kv), "=")
			if k == "sentry_key" {
				return strings.TrimSpace(v)
			}
		}
	}
	if k := r.URL.Query().Get("sentry_key"); k != "" {
		return k
	}
	return bearer(r)
}

// sentryAuth authenticates a Sentry request and checks that the project
// in its path is the key's.
func (s *Server) sentryAuth(project string, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		p, err := s.authenticate(r.Context(), sentryKey(r), meta.RoleIngest,
			"missing DSN key: send \"X-Sentry-Auth: Sentry sentry_key=KEY\" (the project's ingest key)")
		if err != nil {
			return nil, err
		}
		if project != strconv.FormatInt(p.ProjectID, 10) {
			return nil, errs.New(errs.Forbidden, "the DSN key belongs to project %d, not %q", p.ProjectID, project)
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), principalKey{}, p)))
	}
}

// SentryResponse is the answer of the Sentry endpoints: the event id, as
// Sentry answers, and the items that could not be read.
type SentryResponse struct {
	ID       string             `json:"id"`
	Accepted map[string]int     `json:"accepted,omitempty"`
	Skipped  map[string]int     `json:"skipped,omitempty"`
	Errors   []sentry.ItemError `json:"errors,omitempty"`
}

func (s *Server) handleSentryEnvelope(w http.ResponseWriter, r *http.Request) (any, error) {
	const path = "/api/{project}/envelope/"
	body, err := s.readBody(r, path)
	if err != nil {
		return nil, err
	}
	res, err := sentry.DecodeEnvelope(body, sentry.Options{ProjectID: principal(r).ProjectID, Now: s.now().UnixMicro(), MaxItems: s.d.Limits.MaxLines})
	if err != nil {
		s.d.Sink.Reject(path, "malformed envelope", 1)
		return nil, errs.Invalidf("cannot read envelope: %v", err)
	}
	if len(res.Errors) > 0 {
		s.d.Sink.Reject(path, "bad item", len(res.Errors))
	}
	good := len(res.Accepted) > 0
	if !good && len(res.Errors) > 0 {
		return nil, &errs.Error{Kind: errs.Invalid, Msg: "no item of the envelope could be read: " + res.Errors[0].Error, Detail: res.Errors}
	}
	if err := s.submit(r, path, res.Events); err != nil {
		return nil, err
	}
	for typ, n := range res.Unstored {
		s.countUnstored("sentry", sentry.ItemLabel(typ), n)
	}
	if len(res.RateLimited) > 0 {
		// Sentry's SDKs stop sending a category while it is rate-limited
		// (the replay integration stops recording): Lore has no replay
		// store yet, so it asks them not to upload every 5 seconds.
		w.Header().Set("X-Sentry-Rate-Limits", sentryRateLimit(res.RateLimited))
	}
	return SentryResponse{ID: res.EventID, Accepted: res.Accepted, Skipped: res.Skipped, Errors: res.Errors}, nil
}

// unstoredRetryAfter is how long an SDK is asked to hold back a category
// Lore does not store, in seconds.
const unstoredRetryAfter = 86400

// sentryRateLimit is the X-Sentry-Rate-Limits value asking an SDK to stop
// sending categories: "retry_after:cat1;cat2:organization:reason".
func sentryRateLimit(categories []string) string {
	return strconv.Itoa(unstoredRetryAfter) + ":" + strings.Join(categories, ";") + ":organization:not_stored"
}

// countUnstored counts n items of a protocol's type that Lore does not
// store, and logs the type the first time it is seen, so that no loss is
// silent.
func (s *Server) countUnstored(protocol, typ string, n int) {
	s.unstored.Add(float64(n), protocol, typ)
	if _, seen := s.loggedUnstored.LoadOrStore(protocol+"\x00"+typ, true); !seen {
		s.log.Warn("received items of a type Lore does not store; counted in lore_ingest_items_unstored_total", "protocol", protocol, "type", typ)
	}
}

func (s *Server) handleSentryStore(w http.ResponseWriter, r *http.Request) (any, error) {
	const path = "/api/{project}/store/"
	body, err := s.readBody(r, path)
	if err != nil {
		return nil, err
	}
	evs, id, err := sentry.DecodeStore(body, sentry.Options{ProjectID: principal(r).ProjectID, Now: s.now().UnixMicro()})
	if err != nil {
		s.d.Sink.Reject(path, "malformed event", 1)
		return nil, errs.Invalidf("cannot read event: %v", err)
	}
	if err := s.submit(r, path, evs); err != nil {
		return nil, err
	}
	return SentryResponse{ID: id}, nil
}

// storeRange is the time range type the issues service takes.
type storeRange = store.Range

func issueID(r *http.Request) (int64, error) {
	v := r.PathValue("id")
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.Invalidf("issue id must be a positive integer, got %q", v)
	}
	return id, nil
}

func (s *Server) handleIssues(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.readParams(r, issueRange)
	if err != nil {
		return nil, err
	}
	limit, err := intParam(r, "limit", 100, 1000)
	if err != nil {
		return nil, err
	}
	v := r.URL.Query()
	res, err := s.d.Issues.List(r.Context(), issue.ListRequest{ProjectID: p.project, Range: p.rng, Status: v.Get("status"),
		Query: p.q, Sort: v.Get("sort"), Limit: limit})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Server) handleIssue(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := issueID(r)
	if err != nil {
		return nil, err
	}
	p, err := s.readParams(r, issueRange)
	if err != nil {
		return nil, err
	}
	d, err := s.d.Issues.Get(r.Context(), issue.DetailRequest{ProjectID: p.project, ID: id, Range: p.rng, EventID: r.URL.Query().Get("event_id")})
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) handleIssueEvents(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := issueID(r)
	if err != nil {
		return nil, err
	}
	p, err := s.readParams(r, issueRange)
	if err != nil {
		return nil, err
	}
	limit, err := intParam(r, "limit", 50, 1000)
	if err != nil {
		return nil, err
	}
	res, err := s.d.Issues.Events(r.Context(), issue.EventsRequest{ProjectID: p.project, ID: id, Range: p.rng, Query: p.q,
		Limit: limit, Cursor: r.URL.Query().Get("cursor")})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// decodeJSONBody reads a small JSON request body into v, refusing unknown
// fields so a misspelt one is not silently ignored.
func decodeJSONBody(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Invalidf("cannot parse JSON body: %v", err)
	}
	return nil
}

func (s *Server) handlePatchIssue(w http.ResponseWriter, r *http.Request) (any, error) {
	id, err := issueID(r)
	if err != nil {
		return nil, err
	}
	p, err := s.readParams(r, issueRange)
	if err != nil {
		return nil, err
	}
	var u issue.Update
	if err := decodeJSONBody(r, &u); err != nil {
		return nil, err
	}
	d, err := s.d.Issues.Apply(r.Context(), p.project, id, u, p.rng)
	if err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) handleIssueSignals(w http.ResponseWriter, r *http.Request) (any, error) {
	p, err := s.readParams(r, issueRange)
	if err != nil {
		return nil, err
	}
	sigs, err := s.d.Issues.Signals(r.Context(), p.project, p.rng.From)
	if err != nil {
		return nil, err
	}
	type signal struct {
		meta.IssueSignal
		TS string `json:"ts"`
	}
	out := make([]signal, 0, len(sigs))
	for _, sg := range sigs {
		out = append(out, signal{sg, event.FormatMicros(sg.TS)})
	}
	return map[string]any{"signals": out}, nil
}

func (s *Server) handleIssueSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.d.Issues.Settings(r.Context(), principal(r).ProjectID)
}

func (s *Server) handlePutIssueSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	var st issue.Settings
	if err := decodeJSONBody(r, &st); err != nil {
		return nil, err
	}
	out, err := s.d.Issues.SetSettings(r.Context(), principal(r).ProjectID, st)
	if err != nil {
		return nil, err
	}
	return out, nil
}
