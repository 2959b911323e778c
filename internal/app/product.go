package app

import (
	"context"

	"github.com/lore-dev/lore/internal/server"
)

// openProduct builds the product feature's service and adds its ingest
// processors and metrics. (Placeholder until the product feature lands; its
// engineer replaces this file.)
func (a *App) openProduct(ctx context.Context, deps *server.Deps) error { return nil }
