package app

import (
	"context"

	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/privacy"
	"github.com/lore-dev/lore/internal/server"
)

// openLifecycle wires the data's lifecycle: the projects' lifecycle
// settings (meta's project_settings) behind GET/PUT /api/v1/settings/{name},
// and the privacy scrubber, the first ingest processor.
func (a *App) openLifecycle(ctx context.Context, deps *server.Deps) error {
	if err := a.meta.MigrateSettings(ctx); err != nil {
		return err
	}
	scrubbed := a.metrics.Counter("lore_privacy_scrubbed_total",
		"Values scrubbed at ingest (secrets, card numbers, configured personal data), by event kind.", "kind")
	scrub := privacy.NewScrubber(a.meta, a.log.With("component", "privacy"), func(kind string, n int) {
		scrubbed.Add(float64(n), kind)
	})
	a.addProcessor(stagePrivacy, scrub)
	deps.Lifecycle = lifecycle.NewService(a.meta,
		lifecycle.NewSection[privacy.Settings](privacy.SettingsName, scrub.Invalidate),
	)
	return nil
}
