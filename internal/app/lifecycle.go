package app

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/privacy"
	"github.com/lore-dev/lore/internal/server"
	"github.com/lore-dev/lore/internal/store"
	"github.com/lore-dev/lore/internal/store/clickhouse"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// openLifecycle wires the data's lifecycle: the projects' lifecycle
// settings (meta's project_settings) behind GET/PUT /api/v1/settings/{name},
// the privacy scrubber, the first ingest processor, and retention, run
// every hour in the background.
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
	sampled := a.metrics.Counter("lore_sampled_out_total",
		"Events dropped by the projects' sampling (debug and info logs, traces), by kind; kept events carry lore.sample_rate.", "kind")
	sampler := lifecycle.NewSampler(a.meta, a.log.With("component", "sampling"), func(kind string, n int) {
		sampled.Add(float64(n), kind)
	})
	a.addProcessor(stageSampling, sampler)
	deps.Lifecycle = lifecycle.NewService(a.meta,
		lifecycle.NewSection[privacy.Settings](privacy.SettingsName, scrub.Invalidate),
		lifecycle.NewSection[lifecycle.Retention](lifecycle.RetentionName, nil),
		lifecycle.NewSection[lifecycle.Sampling](lifecycle.SamplingName, sampler.Invalidate),
	)
	deps.Backup = a.Backup
	deps.Erase = a.ErasePerson
	events := a.lifecycleEvents()
	if events == nil {
		return nil
	}
	deleted := a.metrics.Counter("lore_retention_deleted_total", "Events deleted by retention, by kind.", "kind")
	rc := a.cfg.Retention
	rc.Settings, rc.Projects, rc.Events, rc.Log = a.meta, a.meta, events, a.log.With("component", "retention")
	rc.Deleted = func(kind string, n int64) { deleted.Add(float64(n), kind) }
	if a.replayBlobs != nil {
		rc.Recordings = a.replayBlobs
	}
	// On an events store shared by several nodes (ClickHouse) the
	// events' retention runs on one of them (nodes.go), and each node
	// expires its own recordings (replay.db is in its data directory).
	shared := sharedEvents(a.engine)
	var ownRecordings *lifecycle.Retainer
	if shared && rc.Recordings != nil {
		oc := rc
		oc.Events, oc.Deleted = nil, nil
		ownRecordings, rc.Recordings = lifecycle.NewRetainer(oc), nil
	}
	a.retainer = lifecycle.NewRetainer(rc)
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	if !a.cfg.NoListen && !a.cfg.Retention.Manual {
		if shared { // once across the nodes (nodes.go)
			wg.Go(func() { a.onCluster(runCtx, leaseRetention, a.retainer.Loop) })
			if ownRecordings != nil {
				wg.Go(func() { ownRecordings.Loop(runCtx) })
			}
		} else {
			wg.Go(func() { a.retainer.Loop(runCtx) })
		}
	}
	a.closers = append(a.closers, func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
	if events, ok := events.(duckEvents); ok {
		a.openWatermark(ctx, deps, events)
	}
	return nil
}

// openWatermark starts the disk watermark over the DuckDB store: it
// measures the data directory, which holds the events only then (on
// ClickHouse the server's disks are the server's to watch).
func (a *App) openWatermark(ctx context.Context, deps *server.Deps, events duckEvents) {
	dropped := a.metrics.Counter("lore_watermark_dropped_total", "Events of the oldest days dropped by the disk watermark.")
	wc := a.cfg.Watermark
	wc.Dir, wc.Events, wc.Projects, wc.Log = a.cfg.DataDir, events, a.meta, a.log.With("component", "watermark")
	wc.Dropped = func(n int64) { dropped.Add(float64(n)) }
	a.watermark = lifecycle.NewWatermark(wc)
	if !a.watermark.On() {
		return
	}
	deps.Disk = func() *lifecycle.DiskStatus { st := a.watermark.Status(); return &st }
	a.metrics.Gauge("lore_data_bytes", "The data directory's size as the disk watermark last measured it (less the space deleted rows left for reuse).",
		func() float64 { return float64(a.watermark.Status().DataBytes) })
	a.metrics.Gauge("lore_disk_free_bytes", "Free bytes on the data directory's disk as the watermark last measured them (plus the space deleted rows left for reuse).",
		func() float64 { return float64(a.watermark.Status().FreeBytes) })
	if a.cfg.NoListen || wc.Manual {
		return
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var wg sync.WaitGroup
	wg.Go(func() { a.watermark.Loop(runCtx) })
	a.closers = append(a.closers, func(context.Context) error {
		cancel()
		wg.Wait()
		return nil
	})
}

// RunRetention enforces every project's retention now (what the
// background loop does every hour).
func (a *App) RunRetention(ctx context.Context) (lifecycle.Deleted, error) {
	if a.retainer == nil {
		return nil, a.unsupported("retention")
	}
	return a.retainer.Run(ctx)
}

// ErasePerson erases a person (a GDPR request) from every store: what
// was acknowledged is stored first (so none of it lands afterwards: on a
// shared ClickHouse store, what every writer acknowledged, flushWriters),
// then their events, identities and field examples leave the events store
// (duckdb.Store.ErasePerson, or clickhouse.Store.ErasePerson's awaited
// mutations) and their sessions' recordings replay.db
// (replay.Blobs.Erase), and the ingest log's segment that held them is
// deleted (pipeline.Rotate) (eraseHere). On a metadata database several
// nodes share, the erasure is recorded for the other nodes, which erase
// the person from their own state (erasures.go). Then, whether it
// succeeded or not (it may have erased a part), every node drops its
// remembered answers, which may name them (forgetDeleted). Backups
// already taken keep them: see the README.
func (a *App) ErasePerson(ctx context.Context, project int64, userID string) (server.Erasure, error) {
	if a.store == nil && a.clickhouse() == nil {
		return server.Erasure{UserID: userID}, a.unsupported("erasing a person")
	}
	defer a.forgetDeleted(ctx, project)
	a.flushWriters(ctx) // the other nodes' acknowledged events first (erasures.go)
	return a.eraseHere(ctx, project, userID, true, nil, nil)
}

// eraseHere erases a person from this node's stores: it stores what the
// node acknowledged, erases the person from the events store, tells the
// other nodes when record is set (recordErasure), erases the recordings
// of the ids the events named and of anonymous and sessions, and deletes
// the ingest log's segment that held them.
func (a *App) eraseHere(ctx context.Context, project int64, userID string, record bool, anonymous, sessions []string) (server.Erasure, error) {
	out := server.Erasure{UserID: userID}
	if err := a.Flush(ctx); err != nil {
		return out, fmt.Errorf("erase person %q: flush: %w", userID, err)
	}
	var named, namedSessions []string
	var err error
	if a.store != nil {
		var got duckdb.Erased
		got, err = a.store.ErasePerson(ctx, project, userID)
		out.Events, named, namedSessions = got.Events, got.AnonymousIDs, got.Sessions
	} else {
		var got clickhouse.Erased
		got, err = a.clickhouse().ErasePerson(ctx, project, userID)
		out.Events, named, namedSessions = got.Events, got.AnonymousIDs, got.Sessions
	}
	if err != nil {
		return out, err
	}
	if record {
		if err := a.recordErasure(ctx, project, userID, named, namedSessions); err != nil {
			return out, err
		}
	}
	anonymous, sessions = slices.Concat(named, anonymous), slices.Concat(namedSessions, sessions)
	if a.replayBlobs != nil {
		if out.Recordings, err = a.replayBlobs.Erase(ctx, project, userID, anonymous, sessions); err != nil {
			return out, err
		}
	}
	// The ingest log's open segment still holds the erased events: it is
	// closed and, once everything in it is stored, deleted.
	if err := a.pipe.Rotate(ctx); err != nil {
		return out, fmt.Errorf("erase person %q: %w", userID, err)
	}
	a.log.Info("erased a person", "project", project, "events", out.Events, "recordings", out.Recordings)
	return out, nil
}

// CheckDisk measures the disk now and drops the oldest days if it is over
// the watermark (what the background loop does every minute).
func (a *App) CheckDisk(ctx context.Context) (*lifecycle.DiskDrop, error) {
	if a.watermark == nil {
		return nil, a.unsupported("the disk watermark")
	}
	return a.watermark.Check(ctx)
}

// lifecycleEvents is the events store as retention deletes from it,
// forgetting the remembered answers after each deletion, on every node
// (forgetDeleted): the
// DuckDB store (with its cold tier and the watermark's reads, as
// duckEvents) or the ClickHouse store; nil for none.
func (a *App) lifecycleEvents() lifecycle.Events {
	f := forgetting{forget: a.forgetDeleted, local: a.resolver().Forget}
	if a.store != nil {
		f.Events = a.store
		return duckEvents{f, a.store}
	}
	if ch := a.clickhouse(); ch != nil {
		f.Events = ch
		return f
	}
	return nil
}

// clickhouse is the events store when it is ClickHouse's, else nil.
func (a *App) clickhouse() *clickhouse.Store {
	ch, _ := a.engine.(*clickhouse.Store)
	return ch
}

// forgetting is the events store as retention and the disk watermark
// delete from it: after each deletion of events (that deleted something
// or failed part way) forget is called with the project, so that no
// remembered answer outlives the days it counted, on any node. The side
// indexes' deletion (when it deleted something or failed), the reindex
// that ends a run that deleted events, and the cold tier's own retention
// (ExpireArchive) when it removed days forget this node's answers
// (local); a run that deleted nothing, as most hourly runs, keeps them.
// What the side deletions delete is read through
// the resolver only on DuckDB, which no other node reads (on ClickHouse
// the side deletion is the field catalogue's, which no remembered answer
// reads), so the other nodes are not told.
type forgetting struct {
	lifecycle.Events
	forget func(ctx context.Context, project int64)
	local  func()
}

func (f forgetting) DeleteEvents(ctx context.Context, project int64, kind string, before int64) (int64, error) {
	n, err := f.Events.DeleteEvents(ctx, project, kind, before)
	if n > 0 || err != nil {
		f.forget(ctx, project)
	}
	return n, err
}

func (f forgetting) DeleteSideBefore(ctx context.Context, project int64, emptyBefore, before int64) (int64, error) {
	n, err := f.Events.DeleteSideBefore(ctx, project, emptyBefore, before)
	if n > 0 || err != nil {
		f.local()
	}
	return n, err
}

func (f forgetting) Reindex(ctx context.Context) error {
	defer f.local()
	return f.Events.Reindex(ctx)
}

// duckEvents is the DuckDB store as retention and the disk watermark
// delete from it and read it: forgetting, with the cold tier's
// deletions and the days' counts.
type duckEvents struct {
	forgetting
	s *duckdb.Store
}

func (d duckEvents) DeleteEventsUnarchived(ctx context.Context, project int64, kind string, before int64) (int64, error) {
	n, err := d.s.DeleteEventsUnarchived(ctx, project, kind, before)
	if n > 0 || err != nil {
		d.forget(ctx, project)
	}
	return n, err
}

func (d duckEvents) ExpireArchive(ctx context.Context, now time.Time) (int, error) {
	n, err := d.s.ExpireArchive(ctx, now)
	if n > 0 || err != nil {
		d.local()
	}
	return n, err
}

func (d duckEvents) Stats(ctx context.Context) (store.Stats, error) { return d.s.Stats(ctx) }

func (d duckEvents) DayCounts(ctx context.Context) ([]lifecycle.DayCount, error) {
	got, err := d.s.DayCounts(ctx)
	out := make([]lifecycle.DayCount, len(got))
	for i, c := range got {
		out[i] = lifecycle.DayCount{Day: c.Day, Events: c.Events}
	}
	return out, err
}

var (
	_ lifecycle.Events          = forgetting{}
	_ lifecycle.WatermarkEvents = duckEvents{}
)
