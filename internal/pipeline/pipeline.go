// Package pipeline makes ingest durable: Submit writes events to a
// write-ahead log of our own and returns only once they are fsync'd, with
// group commit so that many concurrent requests share one fsync; a loader
// goroutine moves logged events into the store (store.Writer) in large
// batches, in order, exactly once; Open replays what the store had not yet
// committed after a crash. Memory stays bounded: beyond MaxPendingBytes of
// logged-but-not-stored events Submit answers ErrOverloaded, which the
// server turns into 429/503 with Retry-After.
package pipeline

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// ErrOverloaded is returned by Submit when the backlog of events logged but
// not yet in the store has reached MaxPendingBytes. Nothing was logged; the
// client should retry after RetryAfter seconds.
var ErrOverloaded = errors.New("pipeline: overloaded")

// ErrClosed is returned by Submit and Flush once Close has begun.
var ErrClosed = errors.New("pipeline: closed")

// Options configure a Pipeline. Zero values take the defaults.
type Options struct {
	Dir             string        // WAL directory, created if missing
	SegmentBytes    int64         // rotate segments at this size (default 64 MiB)
	MaxPendingBytes int64         // encoded bytes logged but not yet in the store; beyond it Submit returns ErrOverloaded (default 256 MiB)
	MaxMemoryBytes  int64         // encoded bytes of logged events kept in memory for the loader; the rest is read back from the WAL (default 8 MiB: ~175k decoded events, ~100 MB of heap)
	MaxBatchEvents  int           // loader batch size (default 65_536, see DefaultMaxBatchEvents)
	LoadInterval    time.Duration // loader wakes at least this often (default 500ms) so data becomes searchable quickly
	CommitWindow    time.Duration // how long the committer may wait to gather a group (default 0: take whatever is queued, fsync, repeat)
	// CloseStall is how long Close waits for the store to take its next
	// batch before it gives up (default 1 minute): Close loads the whole
	// backlog however long that takes while the store keeps taking
	// batches, and stops when it takes none for this long (it keeps
	// failing, or hangs).
	CloseStall time.Duration
}

func (o *Options) setDefaults() {
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 64 << 20
	}
	if o.MaxPendingBytes <= 0 {
		o.MaxPendingBytes = 256 << 20
	}
	if o.MaxMemoryBytes <= 0 {
		o.MaxMemoryBytes = min(8<<20, o.MaxPendingBytes)
	}
	if o.MaxBatchEvents <= 0 {
		o.MaxBatchEvents = DefaultMaxBatchEvents
	}
	if o.LoadInterval <= 0 {
		o.LoadInterval = 500 * time.Millisecond
	}
	if o.CloseStall <= 0 {
		o.CloseStall = time.Minute
	}
}

// DefaultMaxBatchEvents is the loader's batch size: two of the DuckDB
// store's 32,768-row row groups. DuckDB writes a large insert as row groups
// of its own and does not fill the table's last one, so a full batch of
// 50,000 left a row group of 17,232 rows behind each time (a 1M-event load
// held 40 row groups where 31 suffice); whole row groups compress better:
// 55.1 bytes an event instead of 57.4 at 1M events in the store alone,
// 153.8 instead of 157.4 for `lore bench --workload freeform` at 1M.
const DefaultMaxBatchEvents = 65_536

// Pipeline is the durable ingest path. Its methods are safe for concurrent
// use.
type Pipeline struct {
	opts Options
	w    store.Writer
	log  *slog.Logger

	// closeMu orders Submit's send on reqs before Close closes it.
	closeMu sync.RWMutex
	closed  bool
	reqs    chan *request

	pendingBytes  atomic.Int64 // reserved by Submit, released once stored
	pendingEvents atomic.Int64
	bufs          sync.Pool // *[]byte record buffers

	cm committer // owned by the committer goroutine
	ld loader    // owned by the loader goroutine (or Open, before it starts)

	mu       sync.Mutex
	segs     []*segment // oldest first; the last one is being written
	durable  uint64     // highest seq fsync'd in the WAL
	loaded   uint64     // highest seq committed in the store
	mem      []memEntry // logged records kept in memory, in seq order
	memBytes int64
	unloaded int64         // events durable but not yet loaded
	broken   error         // sticky WAL write failure
	progress chan struct{} // closed and replaced whenever loaded advances

	wake       chan struct{} // nudges the loader
	stopLoad   chan struct{} // closed by Close: load the rest and stop
	loadCtx    context.Context
	loadCancel context.CancelFunc
	commitDone chan struct{}
	loadDone   chan struct{}
	closeOnce  sync.Once
	closeErr   error

	st stats
}

// request is one Submit waiting for its record to be synced, or a Rotate
// (rotate set, no record) waiting for the segment to be closed.
type request struct {
	buf    *[]byte // the encoded record
	events []event.Event
	done   chan error
	rotate bool
	first  uint64 // for a Rotate: the first seq of the segment written after it
}

// memEntry is a logged record whose events the loader can take without
// reading the WAL. seg and end locate the end of the record in the WAL.
type memEntry struct {
	seq    uint64
	seg    uint64
	end    int64
	size   int64
	events []event.Event
}

// Open opens (or creates) the WAL in opts.Dir, truncates a torn tail left
// by a crash, replays into w every record whose seq is above w.LastSeq(),
// and starts the committer and loader goroutines. It returns once the
// replay is committed in the store.
func Open(ctx context.Context, opts Options, w store.Writer, log *slog.Logger) (*Pipeline, error) {
	opts.setDefaults()
	if opts.Dir == "" {
		return nil, errors.New("pipeline: Options.Dir is empty")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("cannot create WAL directory %q: %w", opts.Dir, err)
	}
	p := &Pipeline{
		opts:       opts,
		w:          w,
		log:        log.With("component", "pipeline"),
		reqs:       make(chan *request, 1024),
		progress:   make(chan struct{}),
		wake:       make(chan struct{}, 1),
		stopLoad:   make(chan struct{}),
		commitDone: make(chan struct{}),
		loadDone:   make(chan struct{}),
	}
	if err := p.recover(ctx); err != nil {
		p.ld.closeFile()
		p.cm.closeFile()
		return nil, err
	}
	// Replay synchronously, before accepting anything new.
	if err := p.loadAvailable(ctx); err != nil {
		p.ld.closeFile()
		p.cm.closeFile()
		return nil, fmt.Errorf("cannot replay WAL %q into the store: %w", opts.Dir, err)
	}
	p.loadCtx, p.loadCancel = context.WithCancel(context.WithoutCancel(ctx))
	go p.runCommitter()
	go p.runLoader()
	return p, nil
}

// Submit logs events durably: Reserve, then Commit. It returns nil only
// once they are fsync'd in the WAL; the loader then moves them to the
// store. Submit keeps events: the caller must not modify them afterwards.
func (p *Pipeline) Submit(ctx context.Context, events []event.Event) error {
	if len(events) == 0 {
		return nil
	}
	r, err := p.Reserve(ctx, events)
	if err != nil {
		return err
	}
	return r.Commit(ctx, events)
}

// Reservation is room held in the backlog for one request, between its
// admission and its durable commit (the ingest sink processes the events
// in between, so that a request refused for lack of room is never
// processed). Exactly one of Commit and Release ends it.
type Reservation struct {
	p      *Pipeline
	size   int64
	events int64
	done   bool
}

// Reserve admits a request of these events into the backlog: it holds
// about their encoded size against MaxPendingBytes. A full backlog is an
// errs.Overloaded error wrapping ErrOverloaded, with the seconds to wait in
// RetryAfter; nothing is held then. A closed pipeline is errs.Unavailable
// wrapping ErrClosed; a request too large for one WAL record errs.TooLarge.
func (p *Pipeline) Reserve(ctx context.Context, events []event.Event) (*Reservation, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	size := estimateRecord(events)
	if size-headerSize > maxRecordBytes {
		return nil, errs.Wrap(errs.TooLarge, nil, "request of %d events encodes to about %d bytes, more than the %d bytes one request may hold; split the batch", len(events), size, maxRecordBytes)
	}
	p.closeMu.RLock()
	closed := p.closed
	p.closeMu.RUnlock()
	if closed {
		return nil, errs.Wrap(errs.Unavailable, ErrClosed, "the server is shutting down; retry against it when it is back")
	}
	if !p.reserve(size) {
		p.st.overloaded.Add(1)
		return nil, &errs.Error{Kind: errs.Overloaded, Msg: "ingest queue is full; retry after the given delay", RetryAfter: p.RetryAfter(), Err: ErrOverloaded}
	}
	p.pendingEvents.Add(int64(len(events)))
	return &Reservation{p: p, size: size, events: int64(len(events))}, nil
}

// Release gives the room back unused (the request was refused or dropped
// after its admission). It does nothing after Commit.
func (r *Reservation) Release() {
	if r.done {
		return
	}
	r.done = true
	r.p.release(r.size, r.events)
}

// Commit logs events durably, in place of the estimate Reserve held (the
// events may have changed since: processors add and drop). It returns nil
// only once they are fsync'd. ctx's error is returned if ctx ends first,
// in which case the events may or may not have been logged.
func (r *Reservation) Commit(ctx context.Context, events []event.Event) error {
	if r.done {
		return errors.New("pipeline: reservation already used")
	}
	r.done = true
	p := r.p
	if len(events) == 0 {
		p.release(r.size, r.events)
		return nil
	}
	bp, _ := p.bufs.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	*bp = encodeRecord(*bp, events)
	size := int64(len(*bp))
	if size-headerSize > maxRecordBytes {
		p.putBuf(bp)
		p.release(r.size, r.events)
		return errs.Wrap(errs.TooLarge, nil, "request of %d events encodes to %d bytes, more than the WAL's %d-byte record limit; split the batch", len(events), size, maxRecordBytes)
	}
	// The backlog holds what will be released once stored: the record.
	p.pendingBytes.Add(size - r.size)
	p.pendingEvents.Add(int64(len(events)) - r.events)
	req := &request{buf: bp, events: events, done: make(chan error, 1)}

	p.closeMu.RLock()
	if p.closed {
		p.closeMu.RUnlock()
		p.putBuf(bp)
		p.release(size, int64(len(events)))
		return errs.Wrap(errs.Unavailable, ErrClosed, "the server is shutting down; retry against it when it is back")
	}
	select {
	case p.reqs <- req:
		p.closeMu.RUnlock()
	case <-ctx.Done():
		p.closeMu.RUnlock()
		p.putBuf(bp)
		p.release(size, int64(len(events)))
		return ctx.Err()
	}
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// estimateRecord is about the encoded size of events' record (the codec's
// strings plus a few bytes of varints and masks an event), without encoding
// them: admission must be cheap, and Commit corrects it.
func estimateRecord(events []event.Event) int64 {
	n := int64(headerSize + 8 + binary.MaxVarintLen64)
	for i := range events {
		e := &events[i]
		n += 24 + int64(len(e.Kind)+len(e.Level)+len(e.Service)+len(e.Env)+len(e.Release)+len(e.Host)+
			len(e.UserID)+len(e.AnonymousID)+len(e.SessionID)+len(e.RequestID)+len(e.Name)+len(e.Message)+
			len(e.HTTPMethod)+len(e.Endpoint)+len(e.ErrorType)+len(e.ErrorCode)+len(e.Fingerprint))
		if !e.TraceID.IsZero() {
			n += 16
		}
		n += 16 // span and parent span ids
		for _, a := range e.Attributes {
			n += int64(len(a.Key)+len(a.Value)) + 2
		}
	}
	return n
}

// reserve adds size bytes to the backlog unless that would pass
// MaxPendingBytes. A request is always admitted into an empty backlog, so
// one request larger than the bound is slow rather than impossible.
func (p *Pipeline) reserve(size int64) bool {
	for {
		cur := p.pendingBytes.Load()
		if cur > 0 && cur+size > p.opts.MaxPendingBytes {
			return false
		}
		if p.pendingBytes.CompareAndSwap(cur, cur+size) {
			return true
		}
	}
}

// release returns bytes and events to the backlog budget.
func (p *Pipeline) release(bytes, events int64) {
	p.pendingBytes.Add(-bytes)
	p.pendingEvents.Add(-events)
}

func (p *Pipeline) putBuf(bp *[]byte) {
	if cap(*bp) <= 1<<20 {
		p.bufs.Put(bp)
	}
}

// Flush waits until every event whose Submit returned before the call is
// committed in the store.
func (p *Pipeline) Flush(ctx context.Context) error {
	p.mu.Lock()
	target := p.durable
	p.mu.Unlock()
	for {
		p.mu.Lock()
		loaded, ch, broken := p.loaded, p.progress, p.broken
		p.mu.Unlock()
		if loaded >= target {
			return nil
		}
		if broken != nil {
			return broken
		}
		p.nudge()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.loadDone:
			p.mu.Lock()
			loaded = p.loaded
			p.mu.Unlock()
			if loaded >= target {
				return nil
			}
			return ErrClosed
		}
	}
}

// Rotate makes sure no WAL file holds an event the store has since
// deleted (an erasure calls it): the committer closes the segment being
// written and starts a new one, then Rotate waits until the store holds
// every record of the older segments and the loader has deleted them.
// Records logged meanwhile go to the new segment.
func (p *Pipeline) Rotate(ctx context.Context) error {
	r := &request{rotate: true, done: make(chan error, 1)}
	p.closeMu.RLock()
	if p.closed {
		p.closeMu.RUnlock()
		return errs.Wrap(errs.Unavailable, ErrClosed, "the server is shutting down; rotate the WAL when it is back")
	}
	select {
	case p.reqs <- r:
		p.closeMu.RUnlock()
	case <-ctx.Done():
		p.closeMu.RUnlock()
		return fmt.Errorf("rotate the WAL: %w", ctx.Err())
	}
	select {
	case err := <-r.done:
		if err != nil {
			return fmt.Errorf("rotate the WAL: %w", err)
		}
	case <-ctx.Done():
		return fmt.Errorf("rotate the WAL: %w", ctx.Err())
	}
	if err := p.Flush(ctx); err != nil {
		return fmt.Errorf("rotate the WAL: %w", err)
	}
	for {
		p.mu.Lock()
		if len(p.segs) == 0 {
			// Close removed every segment: the store holds them all.
			p.mu.Unlock()
			return nil
		}
		oldest, ch := p.segs[0].first, p.progress
		p.mu.Unlock()
		if oldest >= r.first {
			return nil
		}
		p.nudge()
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("rotate the WAL: segment %d not yet deleted: %w", oldest, ctx.Err())
		case <-p.loadDone:
			return errs.Wrap(errs.Unavailable, ErrClosed, "the server shut down before the WAL segment %d was deleted", oldest)
		}
	}
}

// nudge wakes the loader if it is idle.
func (p *Pipeline) nudge() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Close stops accepting events, waits for queued Submits to be logged,
// loads everything logged into the store and stops the goroutines. It
// loads the whole backlog however long that takes while the store keeps
// taking batches; it gives up when the store takes none for CloseStall or
// when ctx ends, and returns an error that says why and which records
// were not loaded: they stay in the WAL, and the next Open loads them.
func (p *Pipeline) Close(ctx context.Context) error {
	p.closeOnce.Do(func() { p.closeErr = p.close(ctx) })
	return p.closeErr
}

func (p *Pipeline) close(ctx context.Context) error {
	p.closeMu.Lock()
	p.closed = true
	close(p.reqs)
	p.closeMu.Unlock()
	<-p.commitDone // the committer only waits for the disk

	close(p.stopLoad)
	why := p.awaitLoad(ctx)
	p.loadCancel()
	p.cm.closeFile()
	p.ld.closeFile()
	var err error
	p.mu.Lock()
	if p.loaded < p.durable {
		// The loader has stopped: its state is ours to read.
		if why == nil {
			why = errors.New("the loader stopped")
		}
		if last := p.ld.lastErr; last != nil {
			why = fmt.Errorf("%w (last error: %w)", why, last)
		}
		err = fmt.Errorf("cannot load the WAL into the store before shutdown: %w; WAL records %d to %d are not in the store: they stay in %s and are loaded at the next start",
			why, p.loaded+1, p.durable, p.opts.Dir)
	}
	clean := err == nil && p.broken == nil
	p.mu.Unlock()
	if clean {
		if rerr := p.removeAllSegments(); rerr != nil {
			p.log.Warn("cannot remove the loaded WAL at shutdown; the next start skips what the store holds", "err", rerr)
		}
	}
	return err
}

// awaitLoad waits for the loader to load the rest of the WAL and stop. As
// long as the store keeps taking batches it waits; once the store has
// taken none for CloseStall, or ctx ends, it stops the loader and returns
// why.
func (p *Pipeline) awaitLoad(ctx context.Context) error {
	stall := time.NewTimer(p.opts.CloseStall)
	defer stall.Stop()
	var why error
	for why == nil {
		p.mu.Lock()
		progress := p.progress
		p.mu.Unlock()
		select {
		case <-p.loadDone:
			return nil
		case <-progress:
			stall.Reset(p.opts.CloseStall)
		case <-stall.C:
			why = fmt.Errorf("the store took no batch for %v", p.opts.CloseStall)
		case <-ctx.Done():
			why = ctx.Err()
		}
	}
	p.loadCancel()
	<-p.loadDone
	return why
}

// removeAllSegments deletes every segment, the one last written included,
// once Close has loaded every logged record into the store: a stopped
// server keeps no second copy of what it stored (up to SegmentBytes of
// raw records). The store's commit is durable, as it is for the segments
// removeSegments deletes while running, and the next Open starts a new
// segment after the store's last seq. Oldest first, so that a crash midway
// leaves a contiguous log whose records the store already holds.
func (p *Pipeline) removeAllSegments() error {
	p.mu.Lock()
	segs := p.segs
	p.segs = nil
	p.mu.Unlock()
	for _, s := range segs {
		if err := os.Remove(s.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("remove loaded WAL segment %q: %w", s.path, err)
		}
	}
	if len(segs) == 0 {
		return nil
	}
	return syncDir(p.opts.Dir)
}

// RetryAfter suggests how many seconds an overloaded client should wait,
// from the backlog and the recent load rate; at least 1, at most 60.
func (p *Pipeline) RetryAfter() int {
	pending := float64(p.pendingBytes.Load())
	rate := p.st.loadRate()
	if rate <= 0 {
		return 2
	}
	s := int(pending/rate) + 1
	return min(max(s, 1), 60)
}
