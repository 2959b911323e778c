package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/meta"
	"github.com/lore-dev/lore/internal/store"
)

// A node writing to a shared ClickHouse database writes as the writer its
// --node-id names (engine.go, storeWriter), and two live processes under
// one writer would delete each other's rows in flight (the store's
// recovery deletes the writer's unrecorded batches). When the metadata is
// shared (PostgreSQL), a node therefore holds the lease "writer:NAME" for
// as long as it runs, renewed every third of the lease's TTL; a second
// process under the same id finds it renewed and refuses to start, and a
// replacement of a node that died waits for the dead one's lease to
// expire (at most the TTL) before it recovers the writer's rows. The
// lease's holder is the process (node id, host, process id and a random
// suffix), not the node id alone: a node id takes its scheduled work's
// leases back at once (nodes.go), which must not happen here. The node
// appends only while it holds the lease by its own clock (leasedWriter):
// if it cannot renew in time (PostgreSQL unreachable) its loading pauses,
// the events waiting in its write-ahead log, until it renews.

// writerLeaseName is the lease of the ClickHouse writer named writer (""
// for the default writer).
func writerLeaseName(writer string) string { return "writer:" + writer }

// writerLease is this process's hold on its writer's lease.
type writerLease struct {
	meta   *meta.Store
	name   string
	writer string
	holder string
	ttl    time.Duration
	log    *slog.Logger

	mu    sync.Mutex
	until time.Time // held until then by this process's clock
	lost  error     // set when another holder has the lease

	stop func()
	done chan struct{}
}

// processHolder names this process as a lease holder: the node id, the
// host, the process id and a random suffix, unique to this process.
func processHolder(node string) string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "unknown host"
	}
	var b [3]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s (host %s, pid %d, #%s)", node, host, os.Getpid(), hex.EncodeToString(b[:]))
}

// takeWriterLease takes the lease of writer for this process and keeps it
// renewed until release. When another process holds it, it watches the
// lease: renewed (a live node under the same id) is refused with an error
// naming the holder and until when it holds the lease; expired (a node
// that died) is taken, after at most ttl.
func takeWriterLease(ctx context.Context, m *meta.Store, writer, node string, ttl time.Duration, log *slog.Logger) (*writerLease, error) {
	if ttl < 30*time.Millisecond {
		return nil, fmt.Errorf("writer lease: ttl %v is too short to renew", ttl)
	}
	w := &writerLease{meta: m, name: writerLeaseName(writer), writer: writer, holder: processHolder(node), ttl: ttl, log: log}
	var seen meta.Lease
	for {
		asked := time.Now()
		_, ok, err := m.TryLease(ctx, w.name, w.holder, ttl)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", describeWriter(writer), err)
		}
		if ok {
			w.until = asked.Add(ttl)
			rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			w.stop, w.done = cancel, make(chan struct{})
			go w.renew(rctx)
			if seen.Holder != "" {
				log.Info("took the writer's lease after its holder's expired", "writer", writer, "previous_holder", seen.Holder)
			}
			return w, nil
		}
		cur, held, err := m.LeaseHolder(ctx, w.name)
		switch {
		case err != nil:
			return nil, fmt.Errorf("%s: %w", describeWriter(writer), err)
		case !held:
			continue // it expired between the two reads
		case seen.Holder != "" && (cur.Holder != seen.Holder || cur.Expires.After(seen.Expires)):
			return nil, fmt.Errorf("%s: another live node writes to ClickHouse under it: %s holds its writer lease until %s and renews it; two live nodes under one id would delete each other's rows in flight: give each node its own --node-id (docs/scaling.md, \"Several writers\")",
				describeWriter(writer), cur.Holder, cur.Expires.Format(time.RFC3339Nano))
		case seen.Holder == "":
			log.Warn("another process holds this node's writer lease: waiting until it expires (a node that died) or refusing to start if it is renewed (a live node under the same --node-id)",
				"writer", writer, "holder", cur.Holder, "until", cur.Expires)
		}
		seen = cur
		// Look again after a sixth of the TTL (the holder renews every
		// third), or just after it expires if that comes first.
		wait := min(ttl/6, time.Until(cur.Expires)+10*time.Millisecond)
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%s: wait for the lease held by %s: %w", describeWriter(writer), cur.Holder, ctx.Err())
		case <-time.After(max(wait, 10*time.Millisecond)):
		}
	}
}

// describeWriter names a writer in messages.
func describeWriter(writer string) string {
	if writer == "" {
		return "the default writer (no --node-id)"
	}
	return fmt.Sprintf("node id %q", writer)
}

// renew renews the lease every third of its TTL until ctx ends. A renewal
// that finds another holder loses the lease for good (the process must be
// restarted); one that fails (PostgreSQL unreachable) is tried again, the
// lease lapsing by this process's clock a TTL after the last renewal asked.
func (w *writerLease) renew(ctx context.Context) {
	defer close(w.done)
	t := time.NewTicker(w.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		asked := time.Now()
		rctx, cancel := context.WithTimeout(ctx, w.ttl/3)
		_, ok, err := w.meta.TryLease(rctx, w.name, w.holder, w.ttl)
		cancel()
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			w.log.Warn("renew the writer's lease: loading into ClickHouse pauses if it is not renewed in time", "writer", w.writer, "err", err)
		case !ok:
			w.mu.Lock()
			w.lost = fmt.Errorf("%s: its writer lease was taken by another process (it lapsed while this one could not renew it): this node no longer writes to ClickHouse; restart it", describeWriter(w.writer))
			w.mu.Unlock()
			w.log.Error("the writer's lease was taken by another process: this node stops loading events into ClickHouse", "writer", w.writer)
			return
		default:
			w.mu.Lock()
			w.until = asked.Add(w.ttl)
			w.mu.Unlock()
		}
	}
}

// held returns nil while this process holds the lease by its own clock.
func (w *writerLease) held() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.lost != nil {
		return w.lost
	}
	if time.Now().After(w.until) {
		return fmt.Errorf("%s: its writer lease was not renewed in time (since %s): loading waits until it is", describeWriter(w.writer), w.until.Format(time.RFC3339))
	}
	return nil
}

// release stops the renewal and gives the lease up, so that a replacement
// starts at once; the store must no longer be written.
func (w *writerLease) release(ctx context.Context) error {
	w.stop()
	<-w.done
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	return w.meta.ReleaseLease(rctx, w.name, w.holder)
}

// leasedWriter appends to the store only while the node holds its
// writer's lease.
type leasedWriter struct {
	store.Writer
	lease *writerLease
}

var _ store.Writer = leasedWriter{}

// Append implements store.Writer.
func (w leasedWriter) Append(ctx context.Context, b store.Batch) error {
	if err := w.lease.held(); err != nil {
		return err
	}
	return w.Writer.Append(ctx, b)
}
