package app

import (
	"context"

	"github.com/lore-dev/lore/internal/server"
)

// openBrowser wires what browser SDKs ask besides capture: the projects'
// capture settings, which posthog-js's remote configuration reads.
func (a *App) openBrowser(ctx context.Context, deps *server.Deps) error {
	if err := a.meta.MigrateCapture(ctx); err != nil {
		return err
	}
	deps.Capture = a.meta
	return nil
}
