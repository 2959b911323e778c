package app

import (
	"context"

	"github.com/lore-dev/lore/internal/server"
)

// openNarrative builds the narrative feature's service and adds its ingest
// processors and metrics. (Placeholder until the narrative feature lands; its
// engineer replaces this file.)
func (a *App) openNarrative(ctx context.Context, deps *server.Deps) error { return nil }
