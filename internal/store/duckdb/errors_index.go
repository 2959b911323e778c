package duckdb

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/store"
)

// hourMicros is the width of an errorIndex bucket.
const hourMicros = int64(3600 * 1e6)

// maxIndexedUsers bounds the (fingerprint, user) pairs a project's error
// index keeps, about 25 bytes each; past it, new pairs are not kept and
// the fingerprints that lose one answer their users from the events table.
const maxIndexedUsers = 4 << 20

// errorIndex keeps, per project and fingerprint, the error events' counts
// by hour (with the first and last time and release of each hour) and each
// user's last time, so that the issue list does not re-aggregate the
// events table per request. It is built from the table at Open and fed
// each batch after its commit, so it holds exactly what is committed.
//
// It answers only what it can answer exactly: hours wholly inside a range
// come from it, the rest (the partial hours at a range's edges) from the
// table; users come from it when no event of the fingerprint lies at or
// after the range's end (a user then counts if their last event is inside).
type errorIndex struct {
	mu       sync.RWMutex
	projects map[int64]*errorProject
}

type errorProject struct {
	fps      map[string]*fpIndex
	releases []string // by id; 0 is ""
	relID    map[string]uint32
	userID   map[string]uint32
	pairs    int
}

// fpIndex is one fingerprint's hours (sorted) and users.
type fpIndex struct {
	hours   []hourAgg
	minTS   int64
	maxTS   int64
	users   map[uint32]int64 // user → last ts
	partial bool             // some users were not kept: users come from the table
}

// hourAgg aggregates the errors of one fingerprint in one hour, in 32
// bytes: times are µs offsets into the hour, releases ids (0: none).
type hourAgg struct {
	hour                 int32
	count                uint32
	minOff, maxOff       uint32
	relMinOff, relMaxOff uint32 // the first and last event with a release
	firstRel, lastRel    uint32
}

func (a *hourAgg) start() int64 { return int64(a.hour) * hourMicros }
func (a *hourAgg) minTS() int64 { return a.start() + int64(a.minOff) }
func (a *hourAgg) maxTS() int64 { return a.start() + int64(a.maxOff) }

// fold adds count events of the hour, with their first and last times and
// those of their first and last release (firstRel 0: none had one).
func (a *hourAgg) fold(count, minTS, maxTS, relMinTS, relMaxTS int64, firstRel, lastRel uint32) {
	off := func(ts int64) uint32 { return uint32(ts - a.start()) }
	if a.count == 0 {
		a.minOff, a.maxOff = off(minTS), off(maxTS)
	} else {
		a.minOff, a.maxOff = min(a.minOff, off(minTS)), max(a.maxOff, off(maxTS))
	}
	a.count += uint32(count)
	if firstRel != 0 {
		if a.firstRel == 0 || off(relMinTS) < a.relMinOff {
			a.relMinOff, a.firstRel = off(relMinTS), firstRel
		}
		if a.lastRel == 0 || off(relMaxTS) >= a.relMaxOff {
			a.relMaxOff, a.lastRel = off(relMaxTS), lastRel
		}
	}
}

// acc renders the hour as a groupAcc.
func (a *hourAgg) acc(releases []string) groupAcc {
	b := groupAcc{count: int64(a.count), minTS: a.minTS(), maxTS: a.maxTS()}
	if a.firstRel != 0 {
		b.relMinTS, b.relMaxTS = a.start()+int64(a.relMinOff), a.start()+int64(a.relMaxOff)
		b.firstRel, b.lastRel = releases[a.firstRel], releases[a.lastRel]
	}
	return b
}

func newErrorIndex() *errorIndex {
	return &errorIndex{projects: map[int64]*errorProject{}}
}

func floorHour(ts int64) int64 {
	h := ts / hourMicros
	if ts%hourMicros < 0 {
		h--
	}
	return h
}

func (x *errorIndex) project(p int64) *errorProject {
	ep := x.projects[p]
	if ep == nil {
		ep = &errorProject{fps: map[string]*fpIndex{}, releases: []string{""},
			relID: map[string]uint32{"": 0}, userID: map[string]uint32{}}
		x.projects[p] = ep
	}
	return ep
}

func (ep *errorProject) release(r string) uint32 {
	id, ok := ep.relID[r]
	if !ok {
		r = strings.Clone(r)
		id = uint32(len(ep.releases))
		ep.releases = append(ep.releases, r)
		ep.relID[r] = id
	}
	return id
}

func (ep *errorProject) fp(name string) *fpIndex {
	f := ep.fps[name]
	if f == nil {
		f = &fpIndex{users: map[uint32]int64{}}
		ep.fps[strings.Clone(name)] = f
	}
	return f
}

// hour returns the bucket of h, inserted in order if new.
func (f *fpIndex) hour(h int64) *hourAgg {
	n := len(f.hours)
	if n > 0 && int64(f.hours[n-1].hour) == h {
		return &f.hours[n-1]
	}
	i, found := f.search(h)
	if !found {
		f.hours = slices.Insert(f.hours, i, hourAgg{hour: int32(h)})
	}
	return &f.hours[i]
}

// search finds the first bucket at or after hour h.
func (f *fpIndex) search(h int64) (int, bool) {
	return slices.BinarySearchFunc(f.hours, h, func(a hourAgg, h int64) int { return cmpInt(int64(a.hour), h) })
}

// add folds count events of one hour into the fingerprint.
func (f *fpIndex) add(count, minTS, maxTS, relMinTS, relMaxTS int64, firstRel, lastRel uint32) {
	if len(f.hours) == 0 {
		f.minTS, f.maxTS = minTS, maxTS
	} else {
		f.minTS, f.maxTS = min(f.minTS, minTS), max(f.maxTS, maxTS)
	}
	f.hour(floorHour(minTS)).fold(count, minTS, maxTS, relMinTS, relMaxTS, firstRel, lastRel)
}

func (ep *errorProject) seeUser(f *fpIndex, user string, ts int64) {
	if f.partial {
		return
	}
	id, ok := ep.userID[user]
	if !ok {
		id = uint32(len(ep.userID))
		ep.userID[strings.Clone(user)] = id
	}
	last, ok := f.users[id]
	if !ok {
		if ep.pairs >= maxIndexedUsers {
			f.partial, f.users = true, nil
			return
		}
		ep.pairs++
	}
	if !ok || ts > last {
		f.users[id] = ts
	}
}

// add folds committed events into the index.
func (x *errorIndex) add(evs []event.Event, order []int32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, i := range order {
		e := &evs[i]
		if e.Kind != event.KindError {
			continue
		}
		ep := x.project(e.ProjectID)
		f := ep.fp(e.Fingerprint)
		var r uint32
		if e.Release != "" {
			r = ep.release(e.Release)
		}
		f.add(1, e.TS, e.TS, e.TS, e.TS, r, r)
		if e.UserID != "" {
			ep.seeUser(f, e.UserID, e.TS)
		}
	}
}

// load builds the index from the events table.
func (x *errorIndex) load(ctx context.Context, db sqlDB) error {
	rows, err := db.QueryContext(ctx, `SELECT project_id, fingerprint, count(*), min(ts), max(ts),
		coalesce(min(ts) FILTER (WHERE release <> ''), 0), coalesce(max(ts) FILTER (WHERE release <> ''), 0),
		coalesce(arg_min(release, ts) FILTER (WHERE release <> ''), ''), coalesce(arg_max(release, ts) FILTER (WHERE release <> ''), '')
		FROM events WHERE kind = 'error' GROUP BY project_id, fingerprint, floor(ts / 3600000000)`)
	if err != nil {
		return fmt.Errorf("load error index: %w", err)
	}
	defer rows.Close()
	x.mu.Lock()
	defer x.mu.Unlock()
	for rows.Next() {
		var (
			p, n, minTS, maxTS, relMinTS, relMaxTS int64
			fp, first, last                        string
		)
		if err := rows.Scan(&p, &fp, &n, &minTS, &maxTS, &relMinTS, &relMaxTS, &first, &last); err != nil {
			return fmt.Errorf("load error index: %w", err)
		}
		ep := x.project(p)
		var fr, lr uint32
		if first != "" {
			fr, lr = ep.release(first), ep.release(last)
		}
		ep.fp(fp).add(n, minTS, maxTS, relMinTS, relMaxTS, fr, lr)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("load error index: %w", err)
	}
	urows, err := db.QueryContext(ctx, `SELECT project_id, fingerprint, user_id, max(ts) FROM events
		WHERE kind = 'error' AND user_id <> '' GROUP BY ALL`)
	if err != nil {
		return fmt.Errorf("load error index users: %w", err)
	}
	defer urows.Close()
	for urows.Next() {
		var (
			p        int64
			fp, user string
			ts       int64
		)
		if err := urows.Scan(&p, &fp, &user, &ts); err != nil {
			return fmt.Errorf("load error index users: %w", err)
		}
		ep := x.project(p)
		ep.seeUser(ep.fp(fp), user, ts)
	}
	if err := urows.Err(); err != nil {
		return fmt.Errorf("load error index users: %w", err)
	}
	return nil
}

// groupAcc accumulates one fingerprint's errors from pieces of a range.
type groupAcc struct {
	count              int64
	minTS, maxTS       int64
	relMinTS, relMaxTS int64
	firstRel, lastRel  string
}

func (a *groupAcc) merge(b groupAcc) {
	if a.count == 0 {
		a.minTS, a.maxTS = b.minTS, b.maxTS
	} else {
		a.minTS, a.maxTS = min(a.minTS, b.minTS), max(a.maxTS, b.maxTS)
	}
	a.count += b.count
	if b.firstRel != "" && (a.firstRel == "" || b.relMinTS < a.relMinTS) {
		a.relMinTS, a.firstRel = b.relMinTS, b.firstRel
	}
	if b.lastRel != "" && (a.lastRel == "" || b.relMaxTS >= a.relMaxTS) {
		a.relMaxTS, a.lastRel = b.relMaxTS, b.lastRel
	}
}

// groupsPlan is what the index answers of an IssueGroups request, and
// what it leaves to the table.
type groupsPlan struct {
	groups map[string]*groupAcc // whole hours
	users  map[string]int64     // when asked for
	// edges are the partial hours whose events the table must aggregate,
	// with the fingerprints that need each.
	edges map[int64][]string
}

// groups answers an IssueGroups request without a query, or reports
// ok=false when it cannot (users asked for but not exact here).
func (x *errorIndex) groups(r store.IssueGroupsRequest) (groupsPlan, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	gp := groupsPlan{groups: map[string]*groupAcc{}, edges: map[int64][]string{}}
	if r.Users {
		gp.users = map[string]int64{}
	}
	ep := x.projects[r.ProjectID]
	if ep == nil {
		return gp, true
	}
	visit := func(name string, f *fpIndex) bool {
		if f.maxTS < r.Range.From || f.minTS >= r.Range.To {
			return true
		}
		if r.Users {
			if f.partial || f.maxTS >= r.Range.To {
				return false
			}
			n := int64(0)
			for _, last := range f.users {
				if last >= r.Range.From {
					n++
				}
			}
			gp.users[name] = n
		}
		lo, _ := f.search(floorHour(r.Range.From))
		var acc *groupAcc
		for i := lo; i < len(f.hours) && f.hours[i].minTS() < r.Range.To; i++ {
			h := &f.hours[i]
			if h.maxTS() < r.Range.From {
				continue
			}
			if h.minTS() < r.Range.From || h.maxTS() >= r.Range.To {
				gp.edges[int64(h.hour)] = append(gp.edges[int64(h.hour)], name)
				continue
			}
			if acc == nil {
				acc = &groupAcc{}
			}
			acc.merge(h.acc(ep.releases))
		}
		if acc != nil {
			gp.groups[name] = acc
		}
		return true
	}
	if r.Fingerprints != nil {
		for _, fp := range r.Fingerprints {
			if f := ep.fps[fp]; f != nil && !visit(fp, f) {
				return groupsPlan{}, false
			}
		}
	} else {
		for fp, f := range ep.fps {
			if !visit(fp, f) {
				return groupsPlan{}, false
			}
		}
	}
	return gp, true
}

// series answers an IssueSeries request whose range and step are whole
// hours; ok is false otherwise.
func (x *errorIndex) series(r store.IssueSeriesRequest, n int) (map[string][]int64, bool) {
	if r.Step%hourMicros != 0 || r.Range.From%hourMicros != 0 || r.Range.To%hourMicros != 0 {
		return nil, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	out := map[string][]int64{}
	ep := x.projects[r.ProjectID]
	if ep == nil {
		return out, true
	}
	from, to := r.Range.From/hourMicros, r.Range.To/hourMicros
	for _, fp := range r.Fingerprints {
		f := ep.fps[fp]
		if f == nil {
			continue
		}
		lo, _ := f.search(from)
		for i := lo; i < len(f.hours) && int64(f.hours[i].hour) < to; i++ {
			s := out[fp]
			if s == nil {
				s = make([]int64, n)
				out[fp] = s
			}
			s[(f.hours[i].start()-r.Range.From)/r.Step] += int64(f.hours[i].count)
		}
	}
	return out, true
}

// usersUnion counts the distinct users of several fingerprints in a range
// that ends after all their events; ok is false when it cannot.
func (x *errorIndex) usersUnion(project int64, rng store.Range, fps []string) (int64, bool) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	ep := x.projects[project]
	if ep == nil {
		return 0, true
	}
	seen := map[uint32]struct{}{}
	for _, fp := range fps {
		f := ep.fps[fp]
		if f == nil || f.maxTS < rng.From || f.minTS >= rng.To {
			continue
		}
		if f.partial || f.maxTS >= rng.To {
			return 0, false
		}
		for u, last := range f.users {
			if last >= rng.From {
				seen[u] = struct{}{}
			}
		}
	}
	return int64(len(seen)), true
}
