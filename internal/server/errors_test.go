package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/analysis/product"
	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/issue"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/store"
)

// TestErrorMapping: the one mapping from error kinds to statuses, for the
// kinds of every layer (the metadata store's, the issue tracker's, the
// analyses', the store's, the context's) wrapped as those layers wrap
// them; the message is the text around the kinded error, never its cause.
func TestErrorMapping(t *testing.T) {
	var logs strings.Builder
	s := New(Deps{Log: slog.New(slog.NewTextHandler(&logs, nil)), Limits: DefaultLimits()})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, c := range []struct {
		err    error
		ctx    context.Context
		status int
		msg    string
	}{
		{fmt.Errorf("monitor %d: %w", 7, meta.ErrNotFound), nil, 404, "monitor 7: not found"},
		{fmt.Errorf("%w: a monitor named %q exists already", meta.ErrNameTaken, "m"), nil, 409, `a monitor named "m" exists already`},
		{fmt.Errorf("%w: a dashboard needs a name", meta.ErrInvalid), nil, 400, "a dashboard needs a name"},
		{fmt.Errorf("issue %d: %w", 3, issue.ErrNotFound), nil, 404, "issue 3: no such issue"},
		{fmt.Errorf("%w: status %q", issue.ErrBadRequest, "x"), nil, 400, `status "x"`},
		{fmt.Errorf("%w: a funnel needs at least 2 steps", product.ErrBadRequest), nil, 400, "a funnel needs at least 2 steps"},
		{fmt.Errorf("%w: latency percentiles", store.ErrUnsupported), nil, 501, "latency percentiles"},
		{errs.Wrap(errs.Conflict, errors.New("UNIQUE constraint /secret/meta.db"), "name %q taken", "x"), nil, 409, `name "x" taken`},
		{&errs.Error{Kind: errs.Overloaded, Msg: "queue full", RetryAfter: 2}, nil, 429, "queue full"},
		{errs.New(errs.MediaType, "send JSON"), nil, 415, "send JSON"},
		{fmt.Errorf("query: %w", context.DeadlineExceeded), nil, 503, "--query-timeout"},
		{fmt.Errorf("query: %w", context.Canceled), canceled, 499, "request canceled"},
		{errs.Wrap(errs.NotFound, errors.New("cause"), ""), nil, 404, "not found"},
	} {
		r := httptest.NewRequest("GET", "/api/v1/x", nil)
		if c.ctx != nil {
			r = r.WithContext(c.ctx)
		}
		e := s.asError(r, c.err)
		if e.Status != c.status || !strings.Contains(e.Msg, c.msg) || strings.Contains(e.Msg, "secret") {
			t.Errorf("%v: %d %q, want %d %q", c.err, e.Status, e.Msg, c.status, c.msg)
		}
	}
	if logs.Len() > 0 {
		t.Errorf("errors of a kind logged:\n%s", logs.String())
	}
}

// TestOutOfMemoryIsUnavailable: a query the store's engine refused within
// its memory limit, from any route (a user journey at 10M on the default
// memory did), is a 503 with Retry-After naming --store-memory, not a 500,
// and the engine's text stays in the log.
func TestOutOfMemoryIsUnavailable(t *testing.T) {
	var logs strings.Builder
	s := New(Deps{Log: slog.New(slog.NewTextHandler(&logs, nil)), Limits: DefaultLimits()})
	engine := errors.New("Out of Memory Error: failed to allocate data of size 16.0 MiB (255.9 MiB/256.0 MiB used)")
	e := s.asError(httptest.NewRequest("GET", "/api/v1/journeys/user/u1", nil), fmt.Errorf("journey by user %q: %w", "u1", engine))
	if e.Status != 503 || e.RetryAfter <= 0 || !strings.Contains(e.Msg, "--store-memory") || strings.Contains(e.Msg, "MiB") {
		t.Errorf("out of memory answered %d (Retry-After %d) %q", e.Status, e.RetryAfter, e.Msg)
	}
	if !strings.Contains(logs.String(), "255.9 MiB") {
		t.Errorf("the engine's text is not in the log: %q", logs.String())
	}
}
