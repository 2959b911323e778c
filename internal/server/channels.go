package server

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/lore-dev/lore/internal/meta"
)

// ChannelsService stores notification channels, sends a test message and
// lists delivery attempts (*meta.Store and the notify sender, joined in
// internal/app).
type ChannelsService interface {
	Channels(ctx context.Context, project int64) ([]meta.Channel, error)
	Channel(ctx context.Context, project, id int64) (meta.Channel, error)
	SaveChannel(ctx context.Context, project int64, c meta.Channel) (meta.Channel, error)
	DeleteChannel(ctx context.Context, project, id int64) error
	TestChannel(ctx context.Context, project, id int64) error
	Attempts(ctx context.Context, project, channel, monitor int64, limit int) ([]meta.Attempt, error)
}

// ChannelsResponse is the answer of GET /api/v1/channels.
type ChannelsResponse struct {
	Channels []meta.Channel `json:"channels"`
	Types    []string       `json:"types"`
}

// DeliveriesResponse lists delivery attempts, newest first.
type DeliveriesResponse struct {
	Attempts []meta.Attempt `json:"attempts"`
}

// TestResponse is the answer of POST /api/v1/channels/{id}/test.
type TestResponse struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

// maxDeliveries is the most delivery attempts one answer lists.
const maxDeliveries = 200

// channelRoutes registers the channels API. Channels are answered
// without their secrets (an SMTP password, a Slack or Discord token).
func (s *Server) channelRoutes(_ *routeMux, _, read route) {
	c := s.d.Channels
	if c == nil {
		return
	}
	read("GET /api/v1/channels", func(w http.ResponseWriter, r *http.Request) (any, error) {
		cs, err := c.Channels(r.Context(), principal(r).ProjectID)
		if err != nil {
			return nil, err
		}
		for i := range cs {
			cs[i] = cs[i].Redacted()
		}
		return ChannelsResponse{Channels: cs, Types: meta.ChannelTypes}, nil
	})
	read("POST /api/v1/channels", func(w http.ResponseWriter, r *http.Request) (any, error) {
		var v meta.Channel
		if err := decodeRule(w, r, "channel", &v); err != nil {
			return nil, err
		}
		v.ID = 0
		out, err := c.SaveChannel(r.Context(), principal(r).ProjectID, v)
		return out.Redacted(), err
	})
	read("GET /api/v1/channels/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := pathID(r, "channel")
		if err != nil {
			return nil, err
		}
		out, err := c.Channel(r.Context(), principal(r).ProjectID, id)
		return out.Redacted(), err
	})
	read("PUT /api/v1/channels/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := pathID(r, "channel")
		if err != nil {
			return nil, err
		}
		var v meta.Channel
		if err := decodeRule(w, r, "channel", &v); err != nil {
			return nil, err
		}
		v.ID = id
		out, err := c.SaveChannel(r.Context(), principal(r).ProjectID, v)
		return out.Redacted(), err
	})
	read("DELETE /api/v1/channels/{id}", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := pathID(r, "channel")
		if err != nil {
			return nil, err
		}
		if err := c.DeleteChannel(r.Context(), principal(r).ProjectID, id); err != nil {
			return nil, err
		}
		return map[string]any{"deleted": id}, nil
	})
	read("POST /api/v1/channels/{id}/test", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := pathID(r, "channel")
		if err != nil {
			return nil, err
		}
		err = c.TestChannel(r.Context(), principal(r).ProjectID, id)
		if errors.Is(err, meta.ErrNotFound) {
			return nil, err
		}
		// A channel that does not answer is the test's result, not a
		// failure of the request.
		if err != nil {
			return TestResponse{Error: err.Error()}, nil
		}
		return TestResponse{OK: true}, nil
	})
	read("GET /api/v1/channels/{id}/deliveries", func(w http.ResponseWriter, r *http.Request) (any, error) {
		id, err := pathID(r, "channel")
		if err != nil {
			return nil, err
		}
		p := principal(r).ProjectID
		if _, err := c.Channel(r.Context(), p, id); err != nil {
			return nil, err
		}
		a, err := c.Attempts(r.Context(), p, id, 0, limitParam(r, maxDeliveries))
		return DeliveriesResponse{Attempts: a}, err
	})
}

// limitParam reads ?limit=, at most most (and the default).
func limitParam(r *http.Request, most int) int {
	n, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || n <= 0 || n > most {
		return most
	}
	return n
}
