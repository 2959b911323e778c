package app

import (
	"context"

	"github.com/lore-dev/lore/internal/server"
)

// openProduct wires product analytics: the capture routes need nothing
// more than the pipeline, and the analyses read the events store, whose
// idents table (filled at append from events carrying both an anonymous
// and a user id: identify, alias, and any identified event) merges
// anonymous ids into persons.
func (a *App) openProduct(ctx context.Context, deps *server.Deps) error {
	deps.Product = a.store
	return nil
}
