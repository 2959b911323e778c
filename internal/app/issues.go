package app

import (
	"context"

	"github.com/lore-dev/lore/internal/server"
)

// openIssues builds the issues feature's service and adds its ingest
// processors and metrics. (Placeholder until the issues feature lands; its
// engineer replaces this file.)
func (a *App) openIssues(ctx context.Context, deps *server.Deps) error { return nil }
