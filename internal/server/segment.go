package server

import (
	"net/http"
	"strings"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/ingest/segment"
)

// segmentShort are the short paths @segment/analytics-next posts to
// (api.segment.io/v1/t…), by the call each names.
var segmentShort = map[string]string{
	"t": segment.TypeTrack, "p": segment.TypePage, "i": segment.TypeIdentify, "g": segment.TypeGroup,
	"a": segment.TypeAlias, "s": segment.TypeScreen, "b": segment.TypeBatch,
}

// segmentRoutes registers Segment's HTTP tracking API: the server
// libraries' paths (/v1/track…) and analytics-next's short ones (/v1/t…),
// and the settings analytics-next fetches at start-up, all cross-origin.
// The write key is taken however Segment sends it: as the basic-auth user
// (server libraries and analytics-next), in the body as writeKey
// (analytics-next), or as a bearer key.
func (s *Server) segmentRoutes(b *browserMux) {
	for _, typ := range []string{segment.TypeBatch, segment.TypeTrack, segment.TypeIdentify, segment.TypePage, segment.TypeScreen, segment.TypeAlias, segment.TypeGroup} {
		p := "/v1/" + typ
		b.handle("POST "+p, s.instrument(p, s.wrap(s.limitBodyKeyed(p, s.handleSegment(typ, p)))))
	}
	for short, typ := range segmentShort {
		p := "/v1/" + short
		b.handle("POST "+p, s.instrument(p, s.wrap(s.limitBodyKeyed(p, s.handleSegment(typ, p)))))
	}
	b.handle("GET /v1/projects/{writeKey}/settings", s.instrument("/v1/projects/{writeKey}/settings", s.wrap(s.handleSegmentSettings)))
}

// segmentKeyMissing tells where a Segment client puts its write key.
const segmentKeyMissing = "missing write key: send it as the basic-auth user name (Segment's write key), as \"writeKey\" in the body, or as \"Authorization: Bearer KEY\""

func (s *Server) handleSegment(typ, path string) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) (any, error) {
		body, err := s.readBody(r, path)
		if err != nil {
			return nil, err
		}
		res, err := segment.Decode(body, typ, captureOptions(r, 0, s.now().UnixMicro()))
		if err != nil {
			s.d.Sink.Reject(path, "undecodable", 1)
			return nil, errs.Invalidf("cannot decode Segment %s call: %v", typ, err)
		}
		p, err := s.keyProject(r.Context(), firstNonEmpty(bearer(r), res.WriteKey), segmentKeyMissing)
		if err != nil {
			return nil, err
		}
		for i := range res.Events {
			res.Events[i].ProjectID = p.ProjectID
		}
		if n := s.d.Limits.MaxLines; n > 0 && len(res.Events) > n {
			s.d.Sink.Reject(path, "too many events", 1)
			return nil, errs.New(errs.TooLarge, "too many events: %d (max %d per request); split the batch", len(res.Events), n)
		}
		return s.captured(w, r, path, res)
	}
}

// handleSegmentSettings answers analytics-next's start-up request for the
// source's settings (cdnURL/v1/projects/{writeKey}/settings): the
// Segment.io destination pointed back at this server, no other
// destination, no remote plugins, and analytics-next's own metrics off.
func (s *Server) handleSegmentSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	key := r.PathValue("writeKey")
	if _, err := s.keyProject(r.Context(), key, segmentKeyMissing); err != nil {
		return nil, err
	}
	host := firstNonEmpty(r.Header.Get("X-Forwarded-Host"), r.Host)
	proto := "http"
	if r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https") {
		proto = "https"
	}
	w.Header().Set("Cache-Control", "public, max-age=300")
	return map[string]any{
		"integrations": map[string]any{
			"Segment.io": map[string]any{
				"apiKey": key, "apiHost": host + "/v1", "protocol": proto,
				"unbundledIntegrations": []any{}, "addBundledMetadata": true, "maybeBundledConfigIds": map[string]any{},
			},
		},
		"plan": map[string]any{
			"track":    map[string]any{"__default": map[string]any{"enabled": true, "integrations": map[string]any{}}},
			"identify": map[string]any{"__default": map[string]any{"enabled": true}},
			"group":    map[string]any{"__default": map[string]any{"enabled": true}},
		},
		"edgeFunction": map[string]any{}, "analyticsNextEnabled": true, "middlewareSettings": map[string]any{},
		"enabledMiddleware": map[string]any{}, "metrics": map[string]any{"sampleRate": 0}, "legacyVideoPluginsEnabled": false,
		"remotePlugins": []any{},
	}, nil
}
