package productindex

import (
	"cmp"
	"math"
	"slices"

	"github.com/lore-dev/lore/internal/store"
)

// floorDiv is a/b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// bucket floors ts to its period's start, as the SQL of
// internal/analysis/product does.
func bucket(ts, period int64) int64 {
	o := periodOrigin(period)
	return o + floorDiv(ts-o, period)*period
}

var _ store.RetentionIndex = (*Index)(nil)

// IndexedRetention implements store.RetentionIndex: a retention request
// without filters or breakdown is answered from the product index: each
// person's first start event in the range gives their cohort; their
// return events at or after it mark the periods they came back in. ok is
// false when it cannot.
func (x *Index) IndexedRetention(r store.RetentionRequest) (res store.RetentionResult, ok bool) {
	if x == nil || r.Breakdown != "" || !plainStep(r.Start) || !plainStep(r.Return) {
		return res, false
	}
	res.Cohorts = []store.Cohort{}
	p, release := x.snapshot(r.ProjectID)
	defer release()
	if p == nil {
		return res, true
	}
	isStart, isReturn := p.stepSyms(r.Start), p.stepSyms(r.Return)
	bufs := x.getBufs()
	defer x.putBufs(bufs)
	first := sized(&bufs.a64, len(p.keys))
	for i := range first {
		first[i] = math.MaxInt64
	}
	for i, t := range p.ts {
		if t >= r.Range.From && t < r.Range.To && isStart[p.sym[i]] {
			if k := p.alias[p.key[i]]; t < first[k] {
				first[k] = t
			}
		}
	}
	// Dense slots for the persons in a cohort, and their cohort's index.
	slot := sized(&bufs.a32, len(p.keys))
	var cohortOf []int32
	index := map[int64]int32{}
	for k, t := range first {
		slot[k] = -1
		if t == math.MaxInt64 {
			continue
		}
		c := bucket(t, r.Period)
		ci, ok := index[c]
		if !ok {
			ci = int32(len(res.Cohorts))
			index[c] = ci
			res.Cohorts = append(res.Cohorts, store.Cohort{Start: c, Returned: make([]int64, r.Periods)})
		}
		res.Cohorts[ci].Size++
		slot[k] = int32(len(cohortOf))
		cohortOf = append(cohortOf, ci)
	}
	words := (r.Periods + 63) / 64
	seen := zeroed(&bufs.seen, len(cohortOf)*words)
	for i, t := range p.ts {
		if t < r.Range.From || t >= r.Range.To || !isReturn[p.sym[i]] {
			continue
		}
		k := p.alias[p.key[i]]
		sl := slot[k]
		if sl < 0 || t < first[k] {
			continue
		}
		c := res.Cohorts[cohortOf[sl]].Start
		period := (bucket(t, r.Period) - c) / r.Period
		if period >= int64(r.Periods) {
			continue
		}
		w, bit := int(sl)*words+int(period/64), uint64(1)<<(period%64)
		if seen[w]&bit == 0 {
			seen[w] |= bit
			res.Cohorts[cohortOf[sl]].Returned[period]++
		}
	}
	slices.SortFunc(res.Cohorts, func(a, b store.Cohort) int { return cmp.Compare(a.Start, b.Start) })
	return res, true
}
