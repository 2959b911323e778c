// Package resolve answers the analyses' query objects on the store's
// roles and remembers the answers, keyed by each query object's Key().
//
// A Resolver holds the roles (the store itself, never a wrapper, so that
// a query object's type assertions find the store's accelerators: the
// person index, the error index, the rollups) and a bounded cache. An
// answer is kept for TTL, or for FreshTTL when the range it read reaches
// now (events may still arrive there); errors are never kept. The cache
// key is the query object's type, project and range, and its Key(), so
// two projects or two ranges never share an answer.
//
// A range relative to now ("now-7d") ends at a new microsecond on every
// request, so its key would never repeat: the routes that resolve through
// a Resolver read "now" through Snap, which moves it up to the next whole
// Grain (a minute, as the story cache's whole minutes). Requests within
// the same minute then ask the same question and share one answer, which
// is still kept only FreshTTL; moving "now" up, never down, leaves no
// stored event out of the range's end (the start moves by less than a
// Grain).
package resolve

import (
	"container/list"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Query is a query object the resolver can remember: Key identifies its
// answer among those of its type, Scope says which project and range it
// reads.
type Query interface {
	Key() string
	Scope() sqlq.Scope
}

// Roles are the store roles the analyses read through.
type Roles struct {
	Analytics store.Analytics // product analytics (internal/analysis/product)
	Narrative store.Narrative // stories, service map, journey failures
}

// Options bound the cache; the zero value takes the defaults.
type Options struct {
	MaxEntries int           // answers kept at most (default 256)
	TTL        time.Duration // how long an answer over a past range is kept (default 5m)
	FreshTTL   time.Duration // an answer over a range that reaches now (default 10s)
	// Settle is how long after a range ends events may still arrive in
	// it: a range ending later than now - Settle reaches now (default 1m).
	Settle time.Duration
	// Grain is what Snap moves "now" up to a whole multiple of
	// (default 1m).
	Grain time.Duration
	Now   func() time.Time // default time.Now
}

// Resolver holds the store roles and the answers' cache. Methods are safe
// for concurrent use; a nil *Resolver runs every query and keeps nothing.
type Resolver struct {
	roles Roles
	opt   Options

	mu      sync.Mutex
	lru     *list.List // of *entry, most recent first
	byKey   map[string]*list.Element
	hits    int64
	misses  int64
	version uint64 // bumped by Forget: answers computed before it are not kept
	// forgotten counts ForgetProject's calls by project: an answer of the
	// project computed across one is not kept.
	forgotten map[int64]uint64
	// stored counts the spans Stored was told of; recent holds the last
	// maxRecentStored, so an answer being computed while late events
	// arrived in its range is not kept.
	stored uint64
	recent []storedSpan
}

type entry struct {
	key     string
	value   any
	expires time.Time
	scope   sqlq.Scope
}

// storedSpan is what one Stored call said: events of a project between
// two times (inclusive) were just stored.
type storedSpan struct {
	n           uint64
	project     int64
	first, last int64
}

// maxRecentStored bounds the spans kept to check answers in flight
// against; one computed across more Stored calls than that is not kept.
const maxRecentStored = 256

// overlaps reports whether events stored in sp fall in s.
func (sp storedSpan) overlaps(s sqlq.Scope) bool {
	return sp.project == s.ProjectID && sp.first < s.To && sp.last >= s.From
}

// New returns a resolver over roles.
func New(roles Roles, opt Options) *Resolver {
	if opt.MaxEntries <= 0 {
		opt.MaxEntries = 256
	}
	if opt.TTL <= 0 {
		opt.TTL = 5 * time.Minute
	}
	if opt.FreshTTL <= 0 {
		opt.FreshTTL = 10 * time.Second
	}
	if opt.Settle <= 0 {
		opt.Settle = time.Minute
	}
	if opt.Grain <= 0 {
		opt.Grain = time.Minute
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &Resolver{roles: roles, opt: opt, lru: list.New(), byKey: map[string]*list.Element{}, forgotten: map[int64]uint64{}}
}

// Analytics is the product-analytics role: the store itself.
func (r *Resolver) Analytics() store.Analytics {
	if r == nil {
		return nil
	}
	return r.roles.Analytics
}

// Narrative is the narrative role: the store itself.
func (r *Resolver) Narrative() store.Narrative {
	if r == nil {
		return nil
	}
	return r.roles.Narrative
}

// Snap is now as the routes that resolve through r read it for relative
// ranges: moved up to the next whole Grain (unchanged when already whole),
// so that requests within one Grain build the same range and key. A nil
// resolver remembers nothing, and returns now unchanged.
func (r *Resolver) Snap(now time.Time) time.Time {
	if r == nil {
		return now
	}
	if t := now.Truncate(r.opt.Grain); !t.Equal(now) {
		return t.Add(r.opt.Grain)
	}
	return now
}

// Settled reports whether the range s reads ended more than Settle ago:
// no event arrives there any more, so an answer over it changes only by
// a deletion (which Forget handles). A feature that must show what
// arrived seconds ago (the issue list) resolves only settled queries
// through r and reads the others live. A nil resolver settles nothing.
func (r *Resolver) Settled(s sqlq.Scope) bool {
	if r == nil {
		return false
	}
	return s.To <= r.opt.Now().Add(-r.opt.Settle).UnixMicro()
}

// Forget drops every answer (after data was deleted: an erased person
// must not stay in a remembered answer), and keeps none of the answers
// being computed meanwhile.
func (r *Resolver) Forget() {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lru.Init()
	clear(r.byKey)
	r.version++
}

// ForgetProject drops the answers of project (after some of its data was
// deleted), and keeps none of its answers being computed meanwhile; the
// other projects' answers stay. Project 0 (a deletion of no one project)
// is Forget.
func (r *Resolver) ForgetProject(project int64) {
	if r == nil {
		return
	}
	if project == 0 {
		r.Forget()
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for el := r.lru.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*entry); e.scope.ProjectID == project {
			r.lru.Remove(el)
			delete(r.byKey, e.key)
		}
		el = next
	}
	r.forgotten[project]++
}

// Stored tells r that events of project with times in [first, last] were
// just stored. Answers over a settled range (one that ended more than
// Settle ago, kept TTL) holding any of those times are dropped, and none
// being computed over such a range is kept: late events (a backfill, an
// import, a shipper catching up) must not leave a settled answer that
// misses them. Answers over a range reaching now keep their FreshTTL.
func (r *Resolver) Stored(project, first, last int64) {
	if r == nil {
		return
	}
	settled := r.opt.Now().Add(-r.opt.Settle).UnixMicro()
	if first >= settled {
		return // only ranges reaching now hold these times
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stored++
	sp := storedSpan{n: r.stored, project: project, first: first, last: last}
	if len(r.recent) == maxRecentStored {
		r.recent = append(r.recent[:0], r.recent[1:]...)
	}
	r.recent = append(r.recent, sp)
	for el := r.lru.Front(); el != nil; {
		next := el.Next()
		if e := el.Value.(*entry); e.scope.To <= settled && sp.overlaps(e.scope) {
			r.lru.Remove(el)
			delete(r.byKey, e.key)
		}
		el = next
	}
}

// storedSince reports whether events were stored in s after the n-th
// Stored call (or whether that can no longer be told). Under r.mu.
func (r *Resolver) storedSince(n uint64, s sqlq.Scope) bool {
	if r.stored == n {
		return false
	}
	if len(r.recent) == 0 || r.recent[0].n > n+1 {
		return true
	}
	for _, sp := range r.recent {
		if sp.n > n && sp.overlaps(s) {
			return true
		}
	}
	return false
}

// Generation counts the Forgets so far, and the ForgetProjects of
// project: a cache kept beside the resolver (the app's story cache)
// keeps, with each answer of project, the generation it was computed in,
// and serves none of an earlier one. A nil resolver forgets nothing, and
// answers 0.
func (r *Resolver) Generation(project int64) uint64 {
	if r == nil {
		return 0
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.version + r.forgotten[project]
}

// Stats is the cache's hits, misses and answers kept.
func (r *Resolver) Stats() (hits, misses int64, entries int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.hits, r.misses, r.lru.Len()
}

// cacheKey places q's Key among its type's, project's and range's.
func cacheKey(q Query) string {
	s := q.Scope()
	return fmt.Sprintf("%T|%d|%d|%d|%s", q, s.ProjectID, s.From, s.To, q.Key())
}

// Do answers q with a remembered answer while it is fresh, else by run
// (under ctx), whose answer it remembers. Callers must not change the
// answer: later callers share it.
func Do[T any](ctx context.Context, r *Resolver, q Query, run func(context.Context) (T, error)) (T, error) {
	if r == nil {
		return run(ctx)
	}
	key := cacheKey(q)
	now := r.opt.Now()
	r.mu.Lock()
	if el, ok := r.byKey[key]; ok {
		e := el.Value.(*entry)
		if v, ok := e.value.(T); ok && now.Before(e.expires) {
			r.lru.MoveToFront(el)
			r.hits++
			r.mu.Unlock()
			return v, nil
		}
		r.lru.Remove(el)
		delete(r.byKey, key)
	}
	r.misses++
	scope := q.Scope()
	version, forgotten, stored := r.version, r.forgotten[scope.ProjectID], r.stored
	r.mu.Unlock()

	v, err := run(ctx)
	if err != nil {
		return v, err
	}
	ttl := r.opt.TTL
	if scope.To > now.Add(-r.opt.Settle).UnixMicro() {
		ttl = r.opt.FreshTTL
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if version != r.version || forgotten != r.forgotten[scope.ProjectID] || ttl == r.opt.TTL && r.storedSince(stored, scope) {
		return v, nil
	}
	if el, ok := r.byKey[key]; ok {
		r.lru.Remove(el)
	}
	r.byKey[key] = r.lru.PushFront(&entry{key: key, value: v, expires: now.Add(ttl), scope: scope})
	for r.lru.Len() > r.opt.MaxEntries {
		el := r.lru.Back()
		r.lru.Remove(el)
		delete(r.byKey, el.Value.(*entry).key)
	}
	return v, nil
}
