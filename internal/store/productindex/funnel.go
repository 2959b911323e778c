package productindex

import (
	"cmp"
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

// maxFunnelSteps is the most steps a funnel has (internal/analysis/product
// refuses more).
const maxFunnelSteps = 20

var _ store.FunnelIndex = (*Index)(nil)

// IndexedFunnel implements store.FunnelIndex: a funnel without step
// filters or breakdown is walked person by person in the product index
// (walkFunnel); ok is false when it cannot.
func (x *Index) IndexedFunnel(r store.FunnelRequest) (w store.FunnelWalk, ok bool) {
	n := len(r.Steps)
	if x == nil || r.Breakdown != "" || n < 2 || n > maxFunnelSteps {
		return w, false
	}
	for _, st := range r.Steps {
		if !plainStep(st) {
			return w, false
		}
	}
	w.FunnelCounts = store.FunnelCounts{Persons: make([]int64, n), MedianToConvert: make([]int64, n)}
	p, release := x.snapshot(r.ProjectID)
	defer release()
	if p == nil {
		return w, true
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
	bufs := x.getBufs()
	defer x.putBufs(bufs)
	diffs := make([][]int64, n)
	var a funnelAttempt
	p.forEachPerson(r.Range, keep, bufs, func(person uint32, ts []int64, sym []uint32) {
		walkFunnel(ts, sym, masks, n, r.Window, &a)
		if a.depth == 0 {
			return
		}
		for i := range a.depth {
			w.Persons[i]++
			if i > 0 {
				diffs[i] = append(diffs[i], a.t[i]-a.t[i-1])
			}
		}
		if a.depth < n {
			w.Dropped = append(w.Dropped, store.FunnelDrop{Person: p.keys[person], Depth: a.depth, Last: a.t[a.depth-1], First: a.t[0]})
		}
	})
	for i := 1; i < n; i++ {
		w.MedianToConvert[i] = int64(medianInt(diffs[i]))
	}
	return w, true
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
