package app

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"sync"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest/posthog"
	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/metrics"
	"github.com/lore-dev/lore/internal/replay"
	"github.com/lore-dev/lore/internal/server"
)

// openReplayStore opens the recordings' blob store (replay.db in the data
// directory) and the replay service, before the pipeline: the pipeline's
// loader writes through the service's Writer, which takes the chunks out
// of each batch.
func (a *App) openReplayStore(ctx context.Context) error {
	blobs, err := replay.OpenSQLite(ctx, filepath.Join(a.cfg.DataDir, "replay.db"))
	if err != nil {
		return err
	}
	a.replayBlobs = blobs
	a.replay = replay.New(a.cfg.Replay, blobs, nil, replayPolicies{a.meta}, a.reader(), a.log)
	return nil
}

// openReplay serves the recordings and, unless this is an import, seals
// quiet sessions (their kind:replay events go through the ingest path)
// and deletes expired ones.
func (a *App) openReplay(ctx context.Context, deps *server.Deps) error {
	if err := a.meta.MigrateCapture(ctx); err != nil {
		return err
	}
	a.replay.SetWAL(a.pipe)
	a.replay.SetSink(replaySink(a.submit)) // the sink: limits, processors, the durable commit
	deps.Replay = a.replay
	a.registerReplayMetrics(a.metrics)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if !a.cfg.NoListen {
		wg.Go(func() { a.replay.Run(runCtx) })
	}
	a.closers = append(a.closers, func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
	// Persons erased on other nodes leave this node's recordings and
	// field examples (erasures.go).
	return a.watchErasures(ctx)
}

// replaySink is the app's ingest sink as the replay service writes its
// events (kind:replay, detections) through it.
type replaySink func(ctx context.Context, route string, events []event.Event) error

func (f replaySink) Submit(ctx context.Context, route string, events []event.Event) error {
	return f(ctx, route, events)
}

// replayPolicies reads a project's recording settings from its capture
// settings (the same that turn posthog-js's recording on).
type replayPolicies struct{ meta *meta.Store }

func (p replayPolicies) ReplayPolicy(ctx context.Context, project int64) (replay.Policy, error) {
	doc, err := p.meta.CaptureSettings(ctx, project)
	if err != nil {
		return replay.Policy{}, err
	}
	st, err := posthog.ParseSettings(doc)
	if err != nil {
		st = posthog.DefaultSettings() // unreadable: as if never set, recording off
	}
	return replay.Policy{Enabled: st.SessionRecording, SampleRate: st.ReplaySampleRate, OnError: st.ReplayOnError,
		AllowedOrigins: st.ReplayOrigins}, nil
}

func (a *App) registerReplayMetrics(reg *metrics.Registry) {
	reg.Collect(func(w io.Writer) {
		r := a.replay
		if r == nil {
			return
		}
		st := r.Stats()
		counter := func(name, help string, v int64) {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
		}
		counter("lore_replay_chunks_total", "Replay chunks accepted (durable in the write-ahead log).", st.Chunks)
		counter("lore_replay_bytes_total", "Compressed bytes of the replay chunks accepted.", st.Bytes)
		counter("lore_replay_refused_total", "Replay chunks refused (recording off, origin, invalid, over a limit).", st.Refused)
		counter("lore_replay_sessions_sealed_total", "Recorded sessions sealed into kind:replay events.", st.Sealed)
		counter("lore_replay_detections_total", "Rage clicks, dead clicks and errors after a click found in recordings.", st.Detections)
		counter("lore_replay_sessions_expired_total", "Recorded sessions deleted by retention.", st.Expired)
	})
}

var (
	_ replay.Policies = replayPolicies{}
	_ replay.Sink     = replaySink(nil)
)
