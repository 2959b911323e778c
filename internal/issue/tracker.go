package issue

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/lore-dev/lore/internal/exception"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lore-dev/lore/internal/cache"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
	"github.com/lore-dev/lore/internal/meta"
)

// MetaStore is the issue state the Tracker keeps in the metadata database
// (implemented by *meta.Store).
type MetaStore interface {
	ObserveIssue(ctx context.Context, o meta.Observation) (meta.Issue, error)
	IssueSettings(ctx context.Context, project int64) (json.RawMessage, error)
	AddIssueDropped(ctx context.Context, project int64, fp string, n int64) error
}

var _ MetaStore = (*meta.Store)(nil)

// DropCounter counts dropped error events by reason (a Prometheus counter
// in the server).
type DropCounter func(reason string, n int)

// Tracker is the ingest side of the issues feature: a ingest.Processor
// that detects errors, fingerprints and filters them and keeps each
// issue's state. It caches what it learnt from the metadata database so
// that only new fingerprints and status changes touch it, for
// cache.Staleness: another node may change an issue or the settings (an
// issue resolved there regresses here within that time).
type Tracker struct {
	meta    MetaStore
	log     *slog.Logger
	dropped DropCounter
	now     func() time.Time

	// gen counts the calls that may have changed the issue table, so
	// readers can cache it.
	gen atomic.Int64

	patterns PatternFamilies // nil: group by normalized message

	known    *cache.TTL[fpKey, meta.Issue] // the state of each fingerprint's issue, as last seen
	settings *cache.TTL[int64, *compiled]

	mu      sync.Mutex
	buckets map[fpKey]*bucket
}

type fpKey struct {
	project int64
	fp      string
}

// owned is k with its own copy of the fingerprint, for keeping in a map:
// an event's strings can be substrings of a large decode buffer.
func (k fpKey) owned() fpKey { return fpKey{k.project, strings.Clone(k.fp)} }

type bucket struct {
	minute int64
	n      int
}

// NewTracker builds a Tracker; dropped may be nil.
func NewTracker(m MetaStore, log *slog.Logger, dropped DropCounter) *Tracker {
	if log == nil {
		log = slog.Default()
	}
	if dropped == nil {
		dropped = func(string, int) {}
	}
	t := &Tracker{meta: m, log: log, dropped: dropped, now: time.Now, buckets: map[fpKey]*bucket{}}
	clock := func() time.Time { return t.now() }
	t.known = cache.New[fpKey, meta.Issue](cache.Staleness, clock)
	t.settings = cache.New[int64, *compiled](cache.Staleness, clock)
	return t
}

var _ ingest.Processor = (*Tracker)(nil)

// Invalidate forgets what the Tracker cached about a project, after its
// issues' states or settings changed.
func (t *Tracker) Invalidate(project int64) {
	t.gen.Add(1)
	t.known.Delete(func(k fpKey) bool { return k.project == project })
	t.settings.Delete(func(p int64) bool { return p == project })
}

func (t *Tracker) projectSettings(ctx context.Context, project int64) (*compiled, error) {
	if c, ok := t.settings.Get(project); ok {
		return c, nil
	}
	doc, err := t.meta.IssueSettings(ctx, project)
	if err != nil {
		return nil, err
	}
	c, err := compile(doc)
	if err != nil {
		t.log.Warn("ignoring bad issue settings", "project", project, "err", err)
		c = &compiled{}
	}
	t.settings.Put(project, c)
	return c, nil
}

// Process detects, groups, filters and tracks the error events of a batch.
func (t *Tracker) Process(ctx context.Context, events []event.Event) ([]event.Event, error) {
	var extra []event.Event
	for i := range events {
		e := &events[i]
		if e.Kind != event.KindLog && e.Kind != event.KindSpan {
			continue
		}
		st, err := t.projectSettings(ctx, e.ProjectID)
		if err != nil {
			return nil, err
		}
		if c := toError(e, st.levels); c != nil {
			extra = append(extra, *c)
		}
	}
	events = append(events, extra...)
	out := events[:0]
	dropped := map[fpKey]int64{}
	for i := range events {
		e := &events[i]
		if e.Kind != event.KindError {
			out = append(out, *e)
			continue
		}
		st, err := t.projectSettings(ctx, e.ProjectID)
		if err != nil {
			return nil, err
		}
		if reason := st.filter(e); reason != "" {
			t.dropped(reason, 1)
			continue
		}
		excs := exception.FromEvent(e)
		if e.Fingerprint == "" {
			// Not from an SDK (those come fingerprinted): a log or a
			// span. With a stack trace it groups by its frames like an
			// SDK exception, else by its error type, message template
			// and service.
			comps := exception.DefaultComponents(excs, e.Message)
			if !hasFrameComponent(comps) {
				comps = t.logComponents(e)
			}
			e.Fingerprint = exception.Fingerprint(comps)
		}
		for _, r := range st.rules {
			if r.Match(e) {
				e.Fingerprint = exception.Fingerprint([]string{"rule:" + r.Name})
				break
			}
		}
		if _, ok := e.Attr(exception.AttrCulprit); !ok {
			if c := exception.Culprit(excs); c != "" {
				e.Attributes = append(e.Attributes, event.Attr{Key: exception.AttrCulprit, Value: c})
			}
		}
		k := fpKey{e.ProjectID, e.Fingerprint}
		if st.RateLimitPerMinute > 0 && !t.allow(k, st.RateLimitPerMinute) {
			t.dropped("rate_limit", 1)
			dropped[k]++
			continue
		}
		if err := t.observe(ctx, e, excs); err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	for k, n := range dropped {
		if err := t.meta.AddIssueDropped(ctx, k.project, k.fp, n); err != nil {
			t.log.Warn("count dropped errors", "err", err)
		}
	}
	return out, nil
}

// PatternFamilies names the log pattern of a row (internal/patterns): the
// first group of the family of its pattern id, which stays the same while
// the miner generalises and folds templates.
type PatternFamilies interface {
	Family(project int64, id string) string
}

// UsePatterns makes the Tracker group errors without a stack trace by
// their log pattern (the attribute pattern_id, stamped by an earlier
// processor) instead of their normalized message.
func (t *Tracker) UsePatterns(p PatternFamilies) { t.patterns = p }

// patternAttr is the attribute of a row's log pattern id (internal/patterns).
const patternAttr = "pattern_id"

// logComponents are what an error without frames groups by: its error type,
// its message template (the log pattern's family when rows carry one, else
// the normalized message) and its service, so that one statement failing
// with different values is one issue, and the same message from two
// services is two.
func (t *Tracker) logComponents(e *event.Event) []string {
	comps := []string{"type:" + e.ErrorType}
	if pid, ok := e.Attr(patternAttr); ok && pid != "" && t.patterns != nil {
		comps = append(comps, "pattern:"+t.patterns.Family(e.ProjectID, pid))
	} else {
		comps = append(comps, "message:"+exception.NormalizeMessage(e.Message))
	}
	return append(comps, "service:"+e.Service)
}

func hasFrameComponent(comps []string) bool {
	for _, c := range comps {
		if strings.HasPrefix(c, "frame:") {
			return true
		}
	}
	return false
}

func (t *Tracker) allow(k fpKey, perMinute int) bool {
	minute := t.now().Unix() / 60
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buckets[k]
	if b == nil || b.minute != minute {
		if len(t.buckets) > 100_000 {
			clear(t.buckets)
		}
		b = &bucket{minute: minute}
		t.buckets[k.owned()] = b
	}
	b.n++
	return b.n <= perMinute
}

// observe records e against its issue, through the cache when the event
// cannot change the issue's state.
func (t *Tracker) observe(ctx context.Context, e *event.Event, excs []exception.Exception) error {
	k := fpKey{e.ProjectID, e.Fingerprint}
	if is, ok := t.known.Get(k); ok && !changes(is, e) {
		return nil
	}
	culprit, _ := e.Attr(exception.AttrCulprit)
	errType, msg := e.ErrorType, e.Message
	if n := len(excs); n > 0 {
		errType, msg = excs[n-1].Type, excs[n-1].Value
		if msg == "" {
			msg = e.Message
		}
	}
	defer t.gen.Add(1)
	is, err := t.meta.ObserveIssue(ctx, meta.Observation{
		ProjectID: e.ProjectID, Fingerprint: e.Fingerprint, TS: e.TS, Release: e.Release,
		Title: exception.Title(errType, msg), Culprit: culprit, Level: e.Level, ErrorType: errType,
	})
	if err != nil {
		return fmt.Errorf("track issue of %q: %w", e.Fingerprint, err)
	}
	t.known.Put(k.owned(), is)
	return nil
}

// Generation changes whenever the issue table may have changed.
func (t *Tracker) Generation() int64 { return t.gen.Load() }

// changes reports whether an event may change the state of its issue, so
// that the metadata database must see it.
func changes(is meta.Issue, e *event.Event) bool {
	switch is.Status {
	case meta.IssueResolved:
		return e.TS > is.ResolvedAt
	case meta.IssueResolvedNextRelease:
		return e.Release != "" && e.Release != is.ResolvedRelease && e.TS > is.ResolvedAt
	case meta.IssueIgnored:
		return is.IgnoreCount > 0 || (is.IgnoreUntil > 0 && e.TS > is.IgnoreUntil)
	}
	return false
}
