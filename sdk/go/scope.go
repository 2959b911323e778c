package lore

import (
	"context"
	"sync"
)

// scope is what the middleware knows of one request; handlers may add the
// user and session once they know them (SetUser, SetSession), and every
// record logged with the request's context carries them.
type scope struct {
	mu                       sync.Mutex
	requestID, user, session string
}

func (s *scope) get() (req, user, session string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requestID, s.user, s.session
}

type scopeKey struct{}

func scopeFrom(ctx context.Context) *scope {
	if ctx == nil {
		return nil
	}
	s, _ := ctx.Value(scopeKey{}).(*scope)
	return s
}

// WithRequestID returns ctx carrying a request id (the middleware does this).
func WithRequestID(ctx context.Context, id string) context.Context {
	s := &scope{requestID: id}
	if old := scopeFrom(ctx); old != nil {
		_, s.user, s.session = old.get()
	}
	return context.WithValue(ctx, scopeKey{}, s)
}

// SetUser records the user of the request ctx belongs to, for every record
// logged with it from now on, the request's end included.
func SetUser(ctx context.Context, userID string) {
	if s := scopeFrom(ctx); s != nil {
		s.mu.Lock()
		s.user = userID
		s.mu.Unlock()
	}
}

// SetSession records the session of the request ctx belongs to.
func SetSession(ctx context.Context, sessionID string) {
	if s := scopeFrom(ctx); s != nil {
		s.mu.Lock()
		s.session = sessionID
		s.mu.Unlock()
	}
}

// RequestID is the request id ctx carries, or "".
func RequestID(ctx context.Context) string {
	if s := scopeFrom(ctx); s != nil {
		id, _, _ := s.get()
		return id
	}
	return ""
}
