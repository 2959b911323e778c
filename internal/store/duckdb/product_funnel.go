package duckdb

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/lore-dev/lore/internal/store"
)

// personRows are rows grouped by person: the rows of person group g are
// at off[g]:off[g+1], in time order; persons[g] is the person's key.
type personRows struct {
	persons []uint32
	off     []int
	ts      []int64
	sym     []uint32
}

// forEachPerson calls fn with each person's rows in r whose symbol keep
// marks, in time order (fn must not keep the slices). The clustered rows
// are walked in one pass, person after person; the persons whose rows are
// not all in one clustered run (those with rows in the unclustered tail,
// or whose keys moved between persons since the clustering) are gathered
// afterwards by a counting sort.
func (p *productProject) forEachPerson(r store.Range, keep []bool, b *queryBufs, fn func(person uint32, ts []int64, sym []uint32)) {
	split := zeroed(&b.split, len(p.keys))
	for _, k := range p.moved {
		split[k] = true
	}
	for i := p.sealed; i < len(p.ts); i++ {
		split[p.alias[p.key[i]]] = true
	}
	ts, sym, deferred := b.ts[:0], b.sym[:0], b.idx[:0]
	for i := 0; i < p.sealed; {
		person := p.alias[p.key[i]]
		if split[person] {
			if t := p.ts[i]; keep[p.sym[i]] && t >= r.From && t < r.To {
				deferred = append(deferred, int32(i))
			}
			i++
			continue
		}
		ts, sym = ts[:0], sym[:0]
		for ; i < p.sealed && p.alias[p.key[i]] == person; i++ {
			if t := p.ts[i]; keep[p.sym[i]] && t >= r.From && t < r.To {
				ts, sym = append(ts, t), append(sym, p.sym[i])
			}
		}
		if len(ts) > 0 {
			if !slices.IsSorted(ts) {
				sortRows(ts, sym)
			}
			fn(person, ts, sym)
		}
	}
	b.ts, b.sym = ts[:0], sym[:0]
	// Rows of keys merged after the clustering lie in separate clusters:
	// put them back in arrival order, so equal times keep it. The tail
	// after them is in arrival order already.
	slices.SortFunc(deferred, func(x, y int32) int { return cmp.Compare(p.seq[x], p.seq[y]) })
	for i := p.sealed; i < len(p.ts); i++ {
		if t := p.ts[i]; keep[p.sym[i]] && t >= r.From && t < r.To {
			deferred = append(deferred, int32(i))
		}
	}
	b.idx = deferred[:0]
	if len(deferred) == 0 {
		return
	}
	g := p.groupRows(deferred, b)
	for x, person := range g.persons {
		lo, hi := g.off[x], g.off[x+1]
		fn(person, g.ts[lo:hi], g.sym[lo:hi])
	}
}

// groupRows groups the rows idx (in arrival order) by person (a counting
// sort on the person key), sorted by time, then arrival, within each
// person.
func (p *productProject) groupRows(idx []int32, b *queryBufs) personRows {
	count := zeroed(&b.a32, len(p.keys)+1)
	for _, i := range idx {
		count[p.alias[p.key[i]]+1]++
	}
	var g personRows
	// slot is each person's next position; persons are numbered densely.
	slot := sized(&b.b32, len(p.keys))
	pos := 0
	for k := range p.keys {
		if c := count[k+1]; c > 0 {
			g.persons = append(g.persons, uint32(k))
			g.off = append(g.off, pos)
			slot[k] = int32(pos)
			pos += int(c)
		}
	}
	g.off = append(g.off, pos)
	g.ts, g.sym = sized(&b.ts, len(idx)), sized(&b.sym, len(idx))
	for _, i := range idx {
		k := p.alias[p.key[i]]
		j := slot[k]
		slot[k]++
		g.ts[j], g.sym[j] = p.ts[i], p.sym[i]
	}
	for x := range g.persons {
		a, b := g.off[x], g.off[x+1]
		if !slices.IsSorted(g.ts[a:b]) {
			sortRows(g.ts[a:b], g.sym[a:b])
		}
	}
	return g
}

// sortRows sorts ts and sym together by ts (stable).
func sortRows(ts []int64, sym []uint32) {
	type row struct {
		t int64
		s uint32
	}
	rs := make([]row, len(ts))
	for i := range ts {
		rs[i] = row{ts[i], sym[i]}
	}
	slices.SortStableFunc(rs, func(a, b row) int { return cmp.Compare(a.t, b.t) })
	for i, r := range rs {
		ts[i], sym[i] = r.t, r.s
	}
}

// funnelAttempt is a person's best attempt.
type funnelAttempt struct {
	person uint32
	depth  int
	t      [maxFunnelSteps]int64
}

// walkFunnel finds the best attempt among rows (one person's, in time
// order, equal times in arrival order): from each first-step event, the
// earliest event of each next step after the previous one in that order
// (so steps with equal timestamps advance, as in ClickHouse's
// windowFunnel), while within window of the first;
// the deepest attempt wins, then the earliest.
//
// A later start's chain is, step by step, no earlier than an earlier
// one's; so once a chain ran out of events (rather than out of window), no
// later start can go deeper and the walk stops.
func walkFunnel(ts []int64, sym []uint32, masks []uint32, n int, window int64, best *funnelAttempt) {
	best.depth = 0
	var cur [maxFunnelSteps]int64
	for s := range ts {
		if masks[sym[s]]&1 == 0 || s > 0 && ts[s] == ts[s-1] && masks[sym[s-1]]&1 != 0 {
			continue
		}
		t1 := ts[s]
		cur[0] = t1
		depth, j := 1, s+1
		for depth < n && j < len(ts) {
			t := ts[j]
			if t > t1+window {
				break
			}
			// j is after the previous step in time, then arrival order:
			// equal timestamps advance as they arrived.
			if masks[sym[j]]&(1<<depth) != 0 {
				cur[depth] = t
				depth++
			}
			j++
		}
		if depth > best.depth {
			best.depth = depth
			best.t = cur
			if depth == n {
				return
			}
		}
		if j == len(ts) {
			return
		}
	}
}

// funnelIndexed answers a funnel without step filters or breakdown from
// the product index; ok is false when it cannot.
func (s *Store) funnelIndexed(ctx context.Context, r store.FunnelRequest) (res store.FunnelResult, ok bool, err error) {
	if s.product == nil || r.Breakdown != "" {
		return res, false, nil
	}
	for _, st := range r.Steps {
		if !plainStep(st) {
			return res, false, nil
		}
	}
	n := len(r.Steps)
	res = store.FunnelResult{
		FunnelCounts: store.FunnelCounts{Persons: make([]int64, n), MedianToConvert: make([]int64, n)},
		Dropoffs:     make([]store.Dropoff, n-1),
	}
	for i := range res.Dropoffs {
		res.Dropoffs[i] = store.Dropoff{Step: i, Causes: []store.DropoffCause{}, Samples: []string{}}
	}
	type hitsResult struct {
		hits []rawHit
		err  error
	}
	hitsc := make(chan hitsResult, 1)
	hctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		h, err := s.readHits(hctx, r)
		hitsc <- hitsResult{h, err}
	}()
	p, release := s.product.snapshot(r.ProjectID)
	defer release()
	if p == nil {
		return res, true, nil
	}
	masks := make([]uint32, len(p.syms))
	keep := make([]bool, len(p.syms))
	for i, st := range r.Steps {
		for j, m := range p.stepSyms(st) {
			if m {
				masks[j] |= 1 << i
				keep[j] = true
			}
		}
	}
	bufs := s.product.getBufs()
	defer s.product.putBufs(bufs)
	diffs := make([][]int64, n)
	dropped := bufs.drops[:0]
	defer func() { bufs.drops = dropped[:0] }()
	var a funnelAttempt
	p.forEachPerson(r.Range, keep, bufs, func(person uint32, ts []int64, sym []uint32) {
		walkFunnel(ts, sym, masks, n, r.Window, &a)
		if a.depth == 0 {
			return
		}
		for i := range a.depth {
			res.Persons[i]++
			if i > 0 {
				diffs[i] = append(diffs[i], a.t[i]-a.t[i-1])
			}
		}
		if a.depth < n {
			dropped = append(dropped, funnelDrop{person: person, depth: int32(a.depth), last: a.t[a.depth-1], first: a.t[0]})
		}
	})
	for i := 1; i < n; i++ {
		res.MedianToConvert[i] = int64(medianInt(diffs[i]))
	}
	// The drop-off causes join errors and slow requests, read by SQL
	// while the persons are walked, to the dropped persons, in Go.
	hr := <-hitsc
	if hr.err != nil {
		return res, true, hr.err
	}
	hits := matchHits(r, p, dropped, hr.hits)
	funnelCauses(&res, r, p, dropped, hits)
	return res, true, nil
}

// funnelDrop is a person who stopped before the last step.
type funnelDrop struct {
	person      uint32
	depth       int32 // steps reached
	last, first int64
	hit         bool
}

// medianInt is DuckDB's median of integers (the mean of the middle two),
// by selection rather than a sort; v is reordered.
func medianInt(v []int64) float64 {
	if len(v) == 0 {
		return 0
	}
	m := len(v) / 2
	selectNth(v, m)
	if len(v)%2 == 1 {
		return float64(v[m])
	}
	lo := slices.Max(v[:m])
	return float64(lo) + float64(v[m]-lo)/2
}

// selectNth reorders v so that v[k] is the element a sort would put there,
// with no greater one before it and no smaller one after it.
func selectNth(v []int64, k int) {
	lo, hi := 0, len(v)-1
	for hi-lo > 16 {
		// Median of three as the pivot; then a three-way partition, so
		// that runs of equal values (common: times on a grid) are quick.
		a, b, c := v[lo], v[(lo+hi)/2], v[hi]
		pivot := max(min(a, b), min(max(a, b), c))
		lt, i, gt := lo, lo, hi
		for i <= gt {
			switch x := v[i]; {
			case x < pivot:
				v[lt], v[i] = v[i], v[lt]
				lt++
				i++
			case x > pivot:
				v[gt], v[i] = v[i], v[gt]
				gt--
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt - 1
		case k > gt:
			lo = gt + 1
		default:
			return
		}
	}
	slices.Sort(v[lo : hi+1])
}

func medianFloat(v []float64) float64 {
	slices.Sort(v)
	m := len(v) / 2
	if len(v)%2 == 1 {
		return v[m]
	}
	return v[m-1] + (v[m]-v[m-1])/2
}

// funnelHit is an error or slow request of a dropped person within their
// window after their last step.
type funnelHit struct {
	drop                  int // index in dropped
	cause, label, service string
	duration              float64
	hasDuration           bool
}

// rawHit is an error or a slow request of someone, as read.
type rawHit struct {
	ts  int64
	key string
	h   funnelHit
}

// readHits reads the errors, slow requests and replay detections (of
// anyone with an id) in the funnel's range extended by its window. Four
// selects, each with a condition DuckDB's min/max statistics can prune row
// groups by (an OR of them cannot be): errors, error records of other
// kinds, slow requests that are neither, and rage clicks, dead clicks and
// errors after a click (at their end, detectEnd).
func (s *Store) readHits(ctx context.Context, r store.FunnelRequest) ([]rawHit, error) {
	var q sqlBuf
	rng := store.Range{From: r.Range.From, To: r.Range.To + r.Window}
	errLabel := "coalesce(nullif(error_type, ''), nullif(left(message, 120), ''), name)"
	for i, cond := range []string{"kind = 'error'", "level IN ('error', 'fatal') AND kind <> 'error'",
		"duration_ms >= ? AND kind <> 'error' AND level NOT IN ('error', 'fatal')", detectMatch} {
		if i > 0 {
			q.add(" UNION ALL ")
		}
		switch i {
		case 0, 1:
			q.add("SELECT ts, " + personKey + ", 'error', " + errLabel + ", service, duration_ms FROM events WHERE ")
		case 3:
			q.add("SELECT " + detectEnd + ", " + personKey + ", " + detectCause + ", " + detectLabel + ", service, NULL FROM events WHERE ")
		default:
			q.add("SELECT ts, " + personKey + ", 'slow', coalesce(nullif(endpoint, ''), name), service, duration_ms FROM events WHERE ")
		}
		inRange(&q, r.ProjectID, rng)
		q.add(" AND " + hasPerson + " AND " + cond)
		if i == 2 {
			q.args = append(q.args, r.SlowMS)
		}
	}
	rows, err := s.db.QueryContext(ctx, q.String(), q.args...)
	if err != nil {
		return nil, fmt.Errorf("funnel drop-off causes: %w", err)
	}
	defer rows.Close()
	var out []rawHit
	for rows.Next() {
		var (
			x   rawHit
			dur *float64
		)
		if err := rows.Scan(&x.ts, &x.key, &x.h.cause, &x.h.label, &x.h.service, &dur); err != nil {
			return nil, fmt.Errorf("funnel drop-off causes: %w", err)
		}
		if dur != nil {
			x.h.duration, x.h.hasDuration = *dur, true
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("funnel drop-off causes: %w", err)
	}
	return out, nil
}

// matchHits keeps the hits of dropped persons between their last step and
// the end of their window.
func matchHits(r store.FunnelRequest, p *productProject, dropped []funnelDrop, raw []rawHit) []funnelHit {
	if len(dropped) == 0 || len(raw) == 0 {
		return nil
	}
	at := make(map[uint32]int, len(dropped))
	for i, d := range dropped {
		at[d.person] = i
	}
	var out []funnelHit
	for _, x := range raw {
		key, ok := p.keyIDs[x.key]
		if !ok {
			continue
		}
		i, ok := at[p.alias[key]]
		if !ok {
			continue
		}
		if d := dropped[i]; x.ts < d.last || x.ts > d.first+r.Window {
			continue
		}
		x.h.drop = i
		out = append(out, x.h)
	}
	return out
}

// funnelCauses fills the drop-offs: per step, the causes most common among
// the persons who dropped there (persons, then events, then label; errors
// and slow requests first, then replay detections, r.Causes of each), and
// sample persons, those with a cause first, by id.
func funnelCauses(res *store.FunnelResult, r store.FunnelRequest, p *productProject, dropped []funnelDrop, hits []funnelHit) {
	type causeKey struct {
		depth                 int
		cause, label, service string
	}
	type causeAgg struct {
		persons map[int]struct{}
		events  int64
		durs    []float64
	}
	aggs := map[causeKey]*causeAgg{}
	for _, h := range hits {
		d := &dropped[h.drop]
		d.hit = true
		k := causeKey{int(d.depth), h.cause, h.label, h.service}
		a := aggs[k]
		if a == nil {
			a = &causeAgg{persons: map[int]struct{}{}}
			aggs[k] = a
		}
		a.persons[h.drop] = struct{}{}
		a.events++
		if h.hasDuration {
			a.durs = append(a.durs, h.duration)
		}
	}
	n := len(r.Steps)
	byDepth := make([][]store.DropoffCause, n)
	for k, a := range aggs {
		dc := store.DropoffCause{Kind: k.cause, Label: k.label, Service: k.service, Persons: int64(len(a.persons)), Events: a.events}
		if k.cause == "slow" && len(a.durs) > 0 {
			dc.MedianMS = medianFloat(a.durs)
		}
		byDepth[k.depth] = append(byDepth[k.depth], dc)
	}
	for d := 1; d < n; d++ {
		cs := byDepth[d]
		slices.SortFunc(cs, func(a, b store.DropoffCause) int {
			if c := cmp.Compare(b.Persons, a.Persons); c != 0 {
				return c
			}
			if c := cmp.Compare(b.Events, a.Events); c != 0 {
				return c
			}
			return cmp.Or(cmp.Compare(a.Label, b.Label), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Service, b.Service))
		})
		// Errors and slow requests, and replay detections, each their most common r.Causes.
		do := &res.Dropoffs[d-1]
		for _, detection := range []bool{false, true} {
			kept := 0
			for _, c := range cs {
				if isDetection(c.Kind) == detection && kept < r.Causes {
					do.Causes = append(do.Causes, c)
					kept++
				}
			}
		}
	}
	// Samples: the first persons by (no cause, id), per depth.
	samples := make([][]*funnelDrop, n)
	less := func(a, b *funnelDrop) bool {
		if a.hit != b.hit {
			return a.hit
		}
		return p.keys[a.person] < p.keys[b.person]
	}
	for i := range dropped {
		d := &dropped[i]
		s := samples[d.depth]
		if len(s) == r.Samples && !less(d, s[len(s)-1]) {
			continue
		}
		j := len(s)
		for j > 0 && less(d, s[j-1]) {
			j--
		}
		s = slices.Insert(s, j, d)
		if len(s) > r.Samples {
			s = s[:r.Samples]
		}
		samples[d.depth] = s
	}
	for d := 1; d < n; d++ {
		for _, x := range samples[d] {
			res.Dropoffs[d-1].Samples = append(res.Dropoffs[d-1].Samples, p.keys[x.person])
		}
	}
	for i := range res.Dropoffs {
		res.Dropoffs[i].Persons = res.Persons[i] - res.Persons[i+1]
	}
}

// isDetection: a drop-off cause of this kind is a replay detection.
func isDetection(kind string) bool {
	return kind == "rage_click" || kind == "dead_click" || kind == "error_after_click"
}
