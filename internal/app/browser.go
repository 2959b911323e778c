package app

import (
	"context"

	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/sourcemap"
)

// openBrowser wires what browser SDKs need besides capture: the projects'
// capture settings, which posthog-js's remote configuration reads, and
// source maps — their upload API and the symbolicator, an ingest
// processor that runs before the issues' tracker groups errors.
func (a *App) openBrowser(ctx context.Context, deps *server.Deps) error {
	if err := a.meta.MigrateCapture(ctx); err != nil {
		return err
	}
	deps.Capture = a.meta
	if err := a.meta.MigrateSourceMaps(ctx); err != nil {
		return err
	}
	sm := &sourceMaps{Store: a.meta}
	sm.sym = sourcemap.New(sm, a.log.With("component", "sourcemaps"))
	deps.SourceMaps = sm
	a.addProcessor(stageSymbolicate, sm.sym)
	return nil
}

// sourceMaps is the meta store as the source maps' API and the
// symbolicator see it: an upload or a deletion drops what the
// symbolicator cached of the release.
type sourceMaps struct {
	*meta.Store
	sym *sourcemap.Symbolicator
}

func (s *sourceMaps) PutSourceMapFile(ctx context.Context, project int64, release, name string, body []byte) error {
	defer s.sym.Invalidate(project, release)
	return s.Store.PutSourceMapFile(ctx, project, release, name, body)
}

func (s *sourceMaps) DeleteSourceMaps(ctx context.Context, project int64, release string) (int64, error) {
	defer s.sym.Invalidate(project, release)
	return s.Store.DeleteSourceMaps(ctx, project, release)
}

func (s *sourceMaps) SourceMapFiles(ctx context.Context, project int64, release string) ([]sourcemap.File, error) {
	vs, err := s.Store.SourceMapVersions(ctx, project, release)
	out := make([]sourcemap.File, 0, len(vs))
	for _, v := range vs {
		out = append(out, sourcemap.File{Name: v.Name, Version: v.Version})
	}
	return out, err
}

var (
	_ server.SourceMapService = (*sourceMaps)(nil)
	_ sourcemap.Store         = (*sourceMaps)(nil)
	_ ingest.Processor        = (*sourcemap.Symbolicator)(nil)
)
