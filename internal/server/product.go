package server

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/ingest/posthog"
	"github.com/lore-dev/lore/internal/ingest/segment"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/store"
	jssdk "github.com/lore-dev/lore/sdk/js"
)

// CaptureResponse is the answer of the Segment and PostHog capture routes.
// Success keeps the shape their SDKs expect.
type CaptureResponse struct {
	Success  bool                `json:"success"`
	Status   int                 `json:"status"` // PostHog's SDKs read 1
	Accepted int                 `json:"accepted"`
	Rejected int                 `json:"rejected"`
	Errors   []segment.Rejection `json:"errors"`
}

// productRoutes registers the capture APIs (Segment's, segment.go;
// PostHog's with the key in the body, and what posthog-js asks besides,
// browser.go), Lore's browser SDK and the product-analytics queries.
func (s *Server) productRoutes(b *browserMux, read route) {
	s.segmentRoutes(b)
	for _, p := range []string{"/capture/", "/batch/", "/e/", "/i/v0/e/", "/capture", "/batch", "/e"} {
		b.handle("POST "+p, s.instrument(p, s.wrap(s.limitBodyKeyed(p, s.handlePostHog(p)))))
	}
	s.posthogBrowserRoutes(b)
	b.handle("GET /sdk.js", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(jssdk.Script())
	}))
	// The session recorder, loaded by lore.js only on pages that record.
	b.handle("GET /sdk-replay.js", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(jssdk.Recorder())
	}))
	// The SDK as an npm package: npm install https://LORE/sdk.tgz.
	b.handle("GET /sdk.tgz", s.instrument("/sdk.tgz", s.wrap(func(w http.ResponseWriter, r *http.Request) (any, error) {
		tgz, err := jssdk.Package()
		if err != nil {
			return nil, err
		}
		w.Header().Set("Content-Type", "application/gzip")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Write(tgz)
		return written{}, nil
	})))
	if s.d.Resolver.Analytics() == nil {
		return
	}
	read("POST /api/v1/funnels", s.handleFunnel)
	read("POST /api/v1/retention", s.handleRetention)
	read("POST /api/v1/paths", s.handlePaths)
	read("POST /api/v1/trends", s.handleTrends)
	read("GET /api/v1/web", s.handleWeb)
}

func captureOptions(r *http.Request, project int64, now int64) segment.Options {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	return segment.Options{ProjectID: project, Now: now, UserAgent: r.UserAgent(), IP: ip}
}

// captured submits decoded events and answers; when every message was
// rejected the answer is 400, with each reason.
func (s *Server) captured(w http.ResponseWriter, r *http.Request, path string, res segment.Result) (any, error) {
	for _, rj := range res.Rejected {
		s.d.Sink.Reject(path, rj.Reason, 1)
	}
	if err := s.submit(r, path, res.Events); err != nil {
		return nil, err
	}
	out := CaptureResponse{Success: true, Status: 1, Accepted: len(res.Events), Rejected: len(res.Rejected), Errors: res.Rejected}
	if len(out.Errors) > maxReportedErrors {
		out.Errors = out.Errors[:maxReportedErrors]
	}
	if out.Errors == nil {
		out.Errors = []segment.Rejection{}
	}
	if out.Accepted == 0 && out.Rejected > 0 {
		out.Success, out.Status = false, 0
		writeJSON(w, http.StatusBadRequest, out)
		return written{}, nil
	}
	return out, nil
}

// handlePostHog serves PostHog's capture paths. The key travels in the
// body (api_key or token), so authentication happens after unpacking (see
// limitBodyKeyed). route is the metrics label.
func (s *Server) handlePostHog(route string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		body, err := s.readBody(r, route)
		if err != nil {
			return nil, err
		}
		b, err := posthog.Unpack(body, r.Header.Get("Content-Type"), r.URL.Query().Get("compression"), s.d.Limits.MaxBodyBytes)
		if err != nil {
			s.d.Sink.Reject(route, "undecodable", 1)
			return nil, errs.Invalidf("cannot decode PostHog capture body: %v", err)
		}
		key := b.Key
		if key == "" {
			key = bearer(r)
		}
		p, err := s.authenticate(r.Context(), key, meta.RoleIngest, "missing API key: put the ingest key in the body as \"api_key\"")
		if err != nil {
			return nil, err
		}
		if n := s.d.Limits.MaxLines; n > 0 && len(b.Messages) > n {
			s.d.Sink.Reject(route, "too many events", 1)
			return nil, errs.New(errs.TooLarge, "too many events: %d (max %d per request); split the batch", len(b.Messages), n)
		}
		res := posthog.Decode(b, captureOptions(r, p.ProjectID, s.now().UnixMicro()))
		return s.captured(w, r, route, res)
	}
}

// decodeQuery reads a JSON analytics request body (at most 1 MiB).
func decodeQuery(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil && !errors.Is(err, io.EOF) {
		return errs.Invalidf("cannot decode request: %v", err)
	}
	return nil
}

// analyze serves a product-analytics POST: decode the request, build its
// query object (a relative range ends at the resolver's snapped now, so
// requests within a minute share a key), resolve it through the resolver
// (which may remember the answer).
func analyze[Req interface {
	Query(project int64, now time.Time) (Q, error)
}, Q interface {
	resolve.Query
	Resolve(ctx context.Context, a store.Analytics) (R, error)
}, R any](s *Server, r *http.Request) (any, error) {
	var req Req
	if err := decodeQuery(r, &req); err != nil {
		return nil, err
	}
	q, err := req.Query(principal(r).ProjectID, s.d.Resolver.Snap(s.now()))
	if err != nil {
		return nil, err
	}
	res, err := resolve.Do(r.Context(), s.d.Resolver, q, func(ctx context.Context) (R, error) { return q.Resolve(ctx, s.d.Resolver.Analytics()) })
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (s *Server) handleFunnel(w http.ResponseWriter, r *http.Request) (any, error) {
	return analyze[product.FunnelRequest, product.Funnel, product.FunnelResult](s, r)
}

func (s *Server) handleRetention(w http.ResponseWriter, r *http.Request) (any, error) {
	return analyze[product.RetentionRequest, product.Retention, product.RetentionResult](s, r)
}

func (s *Server) handlePaths(w http.ResponseWriter, r *http.Request) (any, error) {
	return analyze[product.PathsRequest, product.Paths, product.PathsResult](s, r)
}

func (s *Server) handleTrends(w http.ResponseWriter, r *http.Request) (any, error) {
	return analyze[product.TrendsRequest, product.Trends, product.TrendsResult](s, r)
}

func (s *Server) handleWeb(w http.ResponseWriter, r *http.Request) (any, error) {
	v := r.URL.Query()
	limit, err := intParam(r, "limit", 10, 100)
	if err != nil {
		return nil, err
	}
	q, err := product.WebQuery(principal(r).ProjectID, v.Get("from"), v.Get("to"), limit, s.d.Resolver.Snap(s.now()))
	if err != nil {
		return nil, err
	}
	res, err := resolve.Do(r.Context(), s.d.Resolver, q, func(ctx context.Context) (product.WebResult, error) {
		return q.Resolve(ctx, s.d.Resolver.Analytics())
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}
