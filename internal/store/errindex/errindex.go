// Package errindex is an accelerator for the issue list: an in-memory
// index of the error events (kind error) per project and fingerprint —
// counts by hour with each hour's first and last time and release, and
// each user's last time — built from the events table and fed each
// committed batch. It implements store.ErrorIndex, which
// internal/analysis/issuestats consults when the store has it; the plain
// SQL gives the same answers without it.
package errindex

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// hourMicros is the width of an errorIndex bucket.
const hourMicros = int64(3600 * 1e6)

// maxIndexedUsers bounds the (fingerprint, user) pairs a project's error
// index keeps, about 25 bytes each; past it, new pairs are not kept and
// the fingerprints that lose one answer their users from the events table.
const maxIndexedUsers = 4 << 20

// Index keeps, per project and fingerprint, the error events' counts
// by hour (with the first and last time and release of each hour) and each
// user's last time, so that the issue list does not re-aggregate the
// events table per request. It is built from the table at Open and fed
// each batch after its commit, so it holds exactly what is committed.
//
// It answers only what it can answer exactly: hours wholly inside a range
// come from it, the rest (the partial hours at a range's edges) from the
// table; users come from it when no event of the fingerprint lies at or
// after the range's end (a user then counts if their last event is inside).
type Index struct {
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

// part renders the hour as a store.IssuePart.
func (a *hourAgg) part(releases []string) store.IssuePart {
	var b store.IssuePart
	b.Count, b.FirstSeen, b.LastSeen = int64(a.count), a.minTS(), a.maxTS()
	if a.firstRel != 0 {
		b.FirstReleaseTS, b.LastReleaseTS = a.start()+int64(a.relMinOff), a.start()+int64(a.relMaxOff)
		b.FirstRelease, b.LastRelease = releases[a.firstRel], releases[a.lastRel]
	}
	return b
}

// merge adds part b to a as issuestats.Merge does (the index cannot
// import the analysis that reads it).
func merge(a, b store.IssuePart) store.IssuePart {
	if a.Count == 0 {
		a.FirstSeen, a.LastSeen = b.FirstSeen, b.LastSeen
	} else {
		a.FirstSeen, a.LastSeen = min(a.FirstSeen, b.FirstSeen), max(a.LastSeen, b.LastSeen)
	}
	a.Count += b.Count
	if b.FirstRelease != "" && (a.FirstRelease == "" || b.FirstReleaseTS < a.FirstReleaseTS) {
		a.FirstReleaseTS, a.FirstRelease = b.FirstReleaseTS, b.FirstRelease
	}
	if b.LastRelease != "" && (a.LastRelease == "" || b.LastReleaseTS >= a.LastReleaseTS) {
		a.LastReleaseTS, a.LastRelease = b.LastReleaseTS, b.LastRelease
	}
	return a
}

var _ store.ErrorIndex = (*Index)(nil)

// New returns an empty index; Load fills it from the table.
func New() *Index {
	return &Index{projects: map[int64]*errorProject{}}
}

func floorHour(ts int64) int64 {
	h := ts / hourMicros
	if ts%hourMicros < 0 {
		h--
	}
	return h
}

// project returns (creating) project p's part of projects.
func project(projects map[int64]*errorProject, p int64) *errorProject {
	ep := projects[p]
	if ep == nil {
		ep = &errorProject{fps: map[string]*fpIndex{}, releases: []string{""},
			relID: map[string]uint32{"": 0}, userID: map[string]uint32{}}
		projects[p] = ep
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
	return slices.BinarySearchFunc(f.hours, h, func(a hourAgg, h int64) int { return cmp.Compare(int64(a.hour), h) })
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

// Add folds committed events into the index: evs[i] for each i of order
// (nil: every event of evs), those of kind error.
func (x *Index) Add(evs []event.Event, order []int32) {
	x.mu.Lock()
	defer x.mu.Unlock()
	one := func(e *event.Event) {
		if e.Kind != event.KindError {
			return
		}
		ep := project(x.projects, e.ProjectID)
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
	if order == nil {
		for i := range evs {
			one(&evs[i])
		}
		return
	}
	for _, i := range order {
		one(&evs[i])
	}
}

// loadQueries compile the reads Load makes: the error events per project,
// fingerprint and hour (grouped by the hour counted from zero and the
// sign, so that integer division rounding towards zero never joins the
// hours either side of the epoch), and each user's last error per
// fingerprint.
func loadQueries(d sqlq.Dialect) (hours, users sqlq.Query, err error) {
	var b sqlq.Builder
	b.Add("SELECT project_id, fingerprint, count(*), min(ts), max(ts), coalesce(" + d.AggIf(sqlq.AggMin, "ts", "release <> ''") +
		", 0), coalesce(" + d.AggIf(sqlq.AggMax, "ts", "release <> ''") + ", 0), coalesce(" + d.ArgMinIf("release", "ts", "release <> ''") +
		", ''), coalesce(" + d.ArgMaxIf("release", "ts", "release <> ''") + ", '') FROM events WHERE kind = 'error' GROUP BY project_id, fingerprint, " +
		d.IntDiv("ts", "3600000000") + ", ts < 0")
	if hours, err = b.Query("errindex.hours", sqlq.Scope{}); err != nil {
		return hours, users, err
	}
	var u sqlq.Builder
	u.Add("SELECT project_id, fingerprint, user_id, max(ts) FROM events WHERE kind = 'error' AND user_id <> '' GROUP BY project_id, fingerprint, user_id")
	users, err = u.Query("errindex.users", sqlq.Scope{})
	return hours, users, err
}

// Load rebuilds the index from the events table, replacing what it held
// (at Open, and after events were deleted). Batches must not be added
// while it runs.
func (x *Index) Load(ctx context.Context, ex sqlq.Executor) error {
	hq, uq, err := loadQueries(ex.Dialect())
	if err != nil {
		return fmt.Errorf("load error index: %w", err)
	}
	projects := map[int64]*errorProject{}
	if err := ex.Run(ctx, hq, func(row sqlq.Scanner) error {
		var (
			p, n, minTS, maxTS, relMinTS, relMaxTS int64
			fp, first, last                        string
		)
		if err := row.Scan(&p, &fp, &n, &minTS, &maxTS, &relMinTS, &relMaxTS, &first, &last); err != nil {
			return err
		}
		ep := project(projects, p)
		var fr, lr uint32
		if first != "" {
			fr, lr = ep.release(first), ep.release(last)
		}
		ep.fp(fp).add(n, minTS, maxTS, relMinTS, relMaxTS, fr, lr)
		return nil
	}); err != nil {
		return fmt.Errorf("load error index: %w", err)
	}
	if err := ex.Run(ctx, uq, func(row sqlq.Scanner) error {
		var (
			p        int64
			fp, user string
			ts       int64
		)
		if err := row.Scan(&p, &fp, &user, &ts); err != nil {
			return err
		}
		ep := project(projects, p)
		ep.seeUser(ep.fp(fp), user, ts)
		return nil
	}); err != nil {
		return fmt.Errorf("load error index users: %w", err)
	}
	x.mu.Lock()
	x.projects = projects
	x.mu.Unlock()
	return nil
}

// IndexedIssueGroups implements store.ErrorIndex: the hours wholly inside
// the range from the index, the others left as edges; ok is false when
// users are asked for but some fingerprint's are not exact here (events
// at or after the range's end, or users not kept).
func (x *Index) IndexedIssueGroups(r store.IssueGroupsRequest) (store.IndexedIssues, bool) {
	if r.Query != nil && r.Query.Root != nil {
		return store.IndexedIssues{}, false
	}
	x.mu.RLock()
	defer x.mu.RUnlock()
	res := store.IndexedIssues{Parts: map[string]store.IssuePart{}}
	if r.Users {
		res.Users = map[string]int64{}
	}
	ep := x.projects[r.ProjectID]
	if ep == nil {
		return res, true
	}
	edges := map[int64][]string{}
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
			res.Users[name] = n
		}
		lo, _ := f.search(floorHour(r.Range.From))
		var (
			acc  store.IssuePart
			have bool
		)
		for i := lo; i < len(f.hours) && f.hours[i].minTS() < r.Range.To; i++ {
			h := &f.hours[i]
			if h.maxTS() < r.Range.From {
				continue
			}
			if h.minTS() < r.Range.From || h.maxTS() >= r.Range.To {
				edges[int64(h.hour)] = append(edges[int64(h.hour)], name)
				continue
			}
			acc, have = merge(acc, h.part(ep.releases)), true
		}
		if have {
			res.Parts[name] = acc
		}
		return true
	}
	if r.Fingerprints != nil {
		for _, fp := range r.Fingerprints {
			if f := ep.fps[fp]; f != nil && !visit(fp, f) {
				return store.IndexedIssues{}, false
			}
		}
	} else {
		for fp, f := range ep.fps {
			if !visit(fp, f) {
				return store.IndexedIssues{}, false
			}
		}
	}
	hours := make([]int64, 0, len(edges))
	for h := range edges {
		hours = append(hours, h)
	}
	slices.Sort(hours)
	for _, h := range hours {
		res.Edges = append(res.Edges, store.IssueEdge{
			Range:        store.Range{From: max(r.Range.From, h*hourMicros), To: min(r.Range.To, (h+1)*hourMicros)},
			Fingerprints: edges[h],
		})
	}
	return res, true
}

// IndexedIssueSeries implements store.ErrorIndex for a range and step of
// whole hours; ok is false otherwise.
func (x *Index) IndexedIssueSeries(r store.IssueSeriesRequest, n int) (map[string][]int64, bool) {
	if r.Step <= 0 || r.Step%hourMicros != 0 || r.Range.From%hourMicros != 0 || r.Range.To%hourMicros != 0 {
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

// IndexedIssueUsers implements store.ErrorIndex for a range that ends
// after every event of fps; ok is false otherwise.
func (x *Index) IndexedIssueUsers(project int64, rng store.Range, fps []string) (int64, bool) {
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
