package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/lore-dev/lore/internal/auth"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/ingest/posthog"
	"github.com/lore-dev/lore/internal/meta"
)

// Browser endpoints (every ingest route, PostHog's and Segment's browser
// routes, Sentry's envelope, /sdk.js) answer cross-origin requests from any
// origin: browser SDKs carry the project's public key in the URL, the body
// or a header, never a cookie, so CORS would protect nothing. A browser
// key (the browser scope) is checked against the project's allowed
// origins instead, and works on these endpoints only. The preflight allows the headers SDKs add, tracing's included
// (Sentry's fetch instrumentation adds sentry-trace and baggage to every
// request it may trace, Lore's SDK and OpenTelemetry traceparent).
const (
	corsAllowHeaders  = "Content-Type, Content-Encoding, Authorization, X-Sentry-Auth, X-Lore-Key, X-Requested-With, traceparent, tracestate, sentry-trace, baggage"
	corsExposeHeaders = "Retry-After, X-Sentry-Error, X-Sentry-Rate-Limits"
)

// setCORS adds the cross-origin headers of a browser endpoint.
func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
	h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
	h.Set("Access-Control-Expose-Headers", corsExposeHeaders)
	h.Set("Access-Control-Max-Age", "86400")
}

// browser serves h cross-origin: CORS headers on every answer, 204 to a
// preflight. The request is marked as a browser endpoint's, with the page's
// origin: browser keys work only there, from the project's allowed
// origins (authenticate).
func (s *Server) browser(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		setCORS(w.Header())
		if r.Method == http.MethodOptions {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), browserOrigin{}, pageOrigin(r))))
	})
}

// browserOrigin marks a browser endpoint's request; its value is the
// page's origin ("" when the request names none).
type browserOrigin struct{}

// pageOrigin is the origin of the page that sent r: its Origin header, or
// else its Referer's scheme and host (a <script> or <img> load sends no
// Origin); "" for neither.
func pageOrigin(r *http.Request) string {
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return o
	}
	if u, err := url.Parse(r.Referer()); err == nil && u.Scheme != "" && u.Host != "" {
		return u.Scheme + "://" + u.Host
	}
	return ""
}

// checkBrowserKey refuses a browser key outside the browser endpoints or
// from an origin the project does not allow (when it lists any).
func (s *Server) checkBrowserKey(ctx context.Context, p meta.Principal) error {
	origin, onBrowserRoute := ctx.Value(browserOrigin{}).(string)
	if !onBrowserRoute {
		return errs.New(errs.Forbidden, "%s", auth.Denied(p.Role, auth.Ingest))
	}
	if s.d.People == nil {
		return nil
	}
	allowed, err := s.d.People.AllowedOrigins(ctx, p.ProjectID)
	if err != nil {
		return err
	}
	switch {
	case len(allowed) == 0:
		return nil
	case origin == "":
		return errs.New(errs.Forbidden, "this browser key works only from the project's web pages (%s): the request names no Origin or Referer",
			strings.Join(allowed, ", "))
	case !meta.OriginAllowed(allowed, origin):
		return errs.New(errs.Forbidden, "origin %q is not one of the project's allowed origins for its browser key (%s): an admin adds it under Access",
			origin, strings.Join(allowed, ", "))
	}
	return nil
}

// browserMux registers browser routes: each pattern's handler behind
// browser, and one OPTIONS route per path for the preflight.
type browserMux struct {
	s          *Server
	mux        *routeMux
	preflights map[string]bool
}

func (b *browserMux) handle(pattern string, h http.Handler) {
	if t := b.s.table; len(t) == 0 || t[len(t)-1].Pattern != pattern {
		// Not an ingest route (which recorded itself): a browser endpoint
		// that checks the project key in its URL or body itself.
		b.s.addRoute(pattern, auth.Public)
	}
	b.mux.Handle(pattern, b.s.browser(h))
	path := pattern
	if _, p, ok := strings.Cut(pattern, " "); ok {
		path = p
	}
	if b.preflights[path] {
		return
	}
	b.preflights[path] = true
	b.mux.Handle("OPTIONS "+path, b.s.instrument("OPTIONS "+path, b.s.browser(http.NotFoundHandler())))
}

// CaptureService keeps the projects' browser capture settings
// (*meta.Store).
type CaptureService interface {
	CaptureSettings(ctx context.Context, project int64) (json.RawMessage, error)
	SetCaptureSettings(ctx context.Context, project int64, doc json.RawMessage) error
}

var _ CaptureService = (*meta.Store)(nil)

// posthogBrowserRoutes serves what posthog-js asks at start-up besides
// capture: the remote configuration (/array/{key}/config and config.js,
// POST /flags and /decide) from the project's capture settings, recordings
// (/s/), and its lazily loaded extensions (/static/…), which Lore does not
// serve.
func (s *Server) posthogBrowserRoutes(b *browserMux) {
	b.handle("GET /array/{key}/config", s.instrument("/array/{key}/config", s.wrap(s.handlePostHogConfig)))
	b.handle("GET /array/{key}/config.js", s.instrument("/array/{key}/config.js", s.wrap(s.handlePostHogConfigScript)))
	for _, p := range []string{"/flags/", "/flags", "/decide/", "/decide"} {
		b.handle("POST "+p, s.instrument(p, s.wrap(s.limitBodyKeyed(p, s.handlePostHogFlags))))
		b.handle("GET "+p, s.instrument(p, s.wrap(s.handlePostHogFlags)))
	}
	for _, p := range []string{"/s/", "/s"} {
		b.handle("POST "+p, s.instrument(p, s.wrap(s.limitBodyKeyed(p, s.handlePostHogRecording))))
	}
	b.handle("GET /static/", s.instrument("/static/", s.wrap(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nil, errs.New(errs.NotFound, "Lore does not serve posthog-js's lazily loaded extensions (%s): bundle them, "+
			"importing posthog from \"posthog-js/dist/module.full\"", r.URL.Path)
	})))
	if s.d.Capture != nil {
		read := func(pattern string, h handlerFunc) {
			a := actionFor(pattern)
			s.addRoute(pattern, a)
			b.mux.Handle(pattern, s.instrument(pattern, s.wrap(s.access(pattern, a, h))))
		}
		read("GET /api/v1/capture/settings", s.handleCaptureSettings)
		read("PUT /api/v1/capture/settings", s.handlePutCaptureSettings)
	}
}

// captureSettings reads a project's capture settings (the defaults when
// none are stored or no store is wired).
func (s *Server) captureSettings(ctx context.Context, project int64) (posthog.Settings, error) {
	if s.d.Capture == nil {
		return posthog.DefaultSettings(), nil
	}
	doc, err := s.d.Capture.CaptureSettings(ctx, project)
	if err != nil {
		return posthog.Settings{}, err
	}
	st, err := posthog.ParseSettings(doc)
	if err != nil {
		s.log.Warn("ignoring unreadable capture settings", "project", project, "err", err)
		return posthog.DefaultSettings(), nil
	}
	return st, nil
}

// keyProject authenticates a browser SDK's public key.
func (s *Server) keyProject(ctx context.Context, key, missing string) (meta.Principal, error) {
	return s.authenticate(ctx, key, meta.RoleIngest, missing)
}

func (s *Server) handlePostHogConfig(w http.ResponseWriter, r *http.Request) (any, error) {
	key := r.PathValue("key")
	p, err := s.keyProject(r.Context(), key, "missing project key in the path")
	if err != nil {
		return nil, err
	}
	st, err := s.captureSettings(r.Context(), p.ProjectID)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	return posthog.RemoteConfig(key, st), nil
}

func (s *Server) handlePostHogConfigScript(w http.ResponseWriter, r *http.Request) (any, error) {
	key := r.PathValue("key")
	p, err := s.keyProject(r.Context(), key, "missing project key in the path")
	if err != nil {
		return nil, err
	}
	st, err := s.captureSettings(r.Context(), p.ProjectID)
	if err != nil {
		return nil, err
	}
	js, err := posthog.ConfigScript(key, st)
	if err != nil {
		return nil, err
	}
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write(js)
	return written{}, nil
}

// handlePostHogFlags answers /flags and /decide: no feature flag is on
// (Lore has none), and /decide, or /flags?config=true, carries the remote
// configuration as PostHog's does.
func (s *Server) handlePostHogFlags(w http.ResponseWriter, r *http.Request) (any, error) {
	path := "/flags" // the metrics label: never the raw path, which a client chooses
	if strings.HasPrefix(r.URL.Path, "/decide") {
		path = "/decide"
	}
	body, err := s.readBody(r, path)
	if err != nil {
		return nil, err
	}
	req, err := posthog.UnpackRequest(body, r.Header.Get("Content-Type"), r.URL.Query().Get("compression"), s.d.Limits.MaxBodyBytes)
	if err != nil {
		return nil, errs.Invalidf("cannot decode PostHog %s body: %v", strings.Trim(path, "/"), err)
	}
	key := firstNonEmpty(req.Key, r.URL.Query().Get("token"), r.URL.Query().Get("api_key"), bearer(r))
	p, err := s.keyProject(r.Context(), key, "missing project key: put the ingest key in the body as \"token\"")
	if err != nil {
		return nil, err
	}
	st, err := s.captureSettings(r.Context(), p.ProjectID)
	if err != nil {
		return nil, err
	}
	config := strings.HasPrefix(path, "/decide") || r.URL.Query().Get("config") == "true"
	return posthog.Flags(key, st, requestID(), config), nil
}

// handlePostHogRecording accepts posthog-js's recording uploads ($snapshot
// events) into the replay store (replay.go), when the project records
// sessions; otherwise they are counted, not kept.
func (s *Server) handlePostHogRecording(w http.ResponseWriter, r *http.Request) (any, error) {
	const path = "/s/"
	body, err := s.readBody(r, path)
	if err != nil {
		return nil, err
	}
	b, err := posthog.Unpack(body, r.Header.Get("Content-Type"), r.URL.Query().Get("compression"), s.d.Limits.MaxBodyBytes)
	if err != nil {
		s.d.Sink.Reject(path, "undecodable", 1)
		return nil, errs.Invalidf("cannot decode PostHog recording body: %v", err)
	}
	p, err := s.keyProject(r.Context(), firstNonEmpty(b.Key, bearer(r)), "missing API key: put the ingest key in the body as \"api_key\"")
	if err != nil {
		return nil, err
	}
	stored := 0
	if s.d.Replay != nil {
		if stored, err = s.d.Replay.AddRecordings(r.Context(), p.ProjectID, b.SentAt/1000, b.Messages); err != nil {
			s.d.Sink.Reject(path, replayReason(err), 1)
			return nil, err
		}
	}
	if stored == 0 {
		s.countUnstored("posthog", "$snapshot", len(b.Messages))
	}
	return map[string]any{"status": 1}, nil
}

func (s *Server) handleCaptureSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.captureSettings(r.Context(), principal(r).ProjectID)
}

// handlePutCaptureSettings changes the fields the body names, keeping the
// others.
func (s *Server) handlePutCaptureSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	st, err := s.captureSettings(r.Context(), principal(r).ProjectID)
	if err != nil {
		return nil, err
	}
	if err := decodeJSONBody(r, &st); err != nil {
		return nil, err
	}
	if err := st.Validate(); err != nil {
		return nil, errs.Invalidf("%v", err)
	}
	doc, err := json.Marshal(st)
	if err != nil {
		return nil, err
	}
	if err := s.d.Capture.SetCaptureSettings(r.Context(), principal(r).ProjectID, doc); err != nil {
		return nil, err
	}
	return st, nil
}

func requestID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
