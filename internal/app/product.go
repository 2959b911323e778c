package app

import (
	"context"

	"github.com/lore-dev/lore/internal/analysis/resolve"
	"github.com/lore-dev/lore/internal/server"
)

// openProduct wires product analytics: the capture routes need nothing
// more than the pipeline, and the analyses read the events store (through
// the resolver), whose idents table (filled at append from events
// carrying both an anonymous and a user id: identify, alias, and any
// identified event) merges anonymous ids into persons. Erasing a person
// drops the resolver's remembered answers, so that none still names them.
func (a *App) openProduct(ctx context.Context, deps *server.Deps) error {
	r := a.resolver()
	deps.Resolver = r
	if erase := deps.Erase; erase != nil {
		deps.Erase = func(ctx context.Context, project int64, userID string) (server.Erasure, error) {
			e, err := erase(ctx, project, userID)
			r.Forget()
			return e, err
		}
	}
	return nil
}

// resolver is the app's one resolver over the store's roles, made on
// first use (the open functions run one after another).
func (a *App) resolver() *resolve.Resolver {
	if a.resolve == nil {
		a.resolve = resolve.New(resolve.Roles{Analytics: a.engine, Narrative: a.engine}, resolve.Options{})
	}
	return a.resolve
}
