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
// drops the remembered answers on every node (ErasePerson), so that none
// still names them; the other nodes' deletions are followed from here
// (watchChanges).
func (a *App) openProduct(ctx context.Context, deps *server.Deps) error {
	deps.Resolver = a.resolver()
	return a.watchChanges(ctx)
}

// resolver is the app's one resolver over the store's roles, made on
// first use (the open functions run one after another).
func (a *App) resolver() *resolve.Resolver {
	if a.resolve == nil {
		a.resolve = resolve.New(resolve.Roles{Analytics: a.engine, Narrative: a.engine}, resolve.Options{})
	}
	return a.resolve
}
