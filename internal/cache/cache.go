// Package cache keeps values read from the metadata database for a
// bounded time: several nodes may share that database, and a value one of
// them changes (a project's settings, an issue's status) must reach the
// others' caches within a known staleness, not at their next restart.
package cache

import (
	"sync"
	"time"
)

// Staleness is how long a node trusts what it cached of the metadata that
// another node may change: a project's settings changed through one node
// apply on every node within it.
const Staleness = 5 * time.Second

// TTL maps keys to values each kept for a fixed time after it was put. A
// value past its time is gone, as if never put. It is safe for concurrent
// use.
type TTL[K comparable, V any] struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[K]entry[V]
	// sweepAt is the size at which Put next drops the values past their
	// time, so that the map holds at most about twice the live ones.
	sweepAt int
}

type entry[V any] struct {
	v       V
	expires time.Time
}

// New makes a TTL keeping each value for ttl; now is the clock (nil:
// time.Now).
func New[K comparable, V any](ttl time.Duration, now func() time.Time) *TTL[K, V] {
	if now == nil {
		now = time.Now
	}
	return &TTL[K, V]{ttl: ttl, now: now, m: map[K]entry[V]{}, sweepAt: minSweep}
}

// Get returns the value of k, if it was put less than the TTL ago.
func (c *TTL[K, V]) Get(k K) (v V, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || !c.now().Before(e.expires) {
		return v, false
	}
	return e.v, true
}

// minSweep is the least size at which Put drops the values past their time.
const minSweep = 1024

// Put keeps v for k for the TTL.
func (c *TTL[K, V]) Put(k K, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if len(c.m) >= c.sweepAt {
		c.sweep(now, nil)
		c.sweepAt = max(2*len(c.m), minSweep)
	}
	c.m[k] = entry[V]{v, now.Add(c.ttl)}
}

// Delete forgets the keys drop says so of, and the values past their time.
func (c *TTL[K, V]) Delete(drop func(K) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweep(c.now(), drop)
}

// sweep deletes the values past their time at now, and those of the keys
// drop (when not nil) says so of.
func (c *TTL[K, V]) sweep(now time.Time, drop func(K) bool) {
	for k, e := range c.m {
		if !now.Before(e.expires) || drop != nil && drop(k) {
			delete(c.m, k)
		}
	}
}

// Len is how many values are kept, some perhaps past their time.
func (c *TTL[K, V]) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
