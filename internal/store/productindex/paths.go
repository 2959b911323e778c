package productindex

import (
	"cmp"
	"encoding/binary"
	"math"
	"slices"
	"strings"

	"github.com/lore-dev/lore/internal/store"
)

// pathEntry is one event kept for a person's path.
type pathEntry struct {
	ts  int64
	sym uint32
}

var _ store.PathsIndex = (*Index)(nil)

// IndexedPaths implements store.PathsIndex: a paths request whose anchor
// has no filter is answered from the product index: per person, the Depth
// path events from their first anchor on (or up to it), kept in a small
// buffer while the rows are scanned once. ok is false when it cannot.
func (x *Index) IndexedPaths(r store.PathsRequest) (out []store.PathCount, ok bool) {
	anchor := r.Start
	if anchor == nil {
		anchor = r.End
	}
	if x == nil || !plainStep(*anchor) {
		return nil, false
	}
	out = []store.PathCount{}
	p, release := x.snapshot(r.ProjectID)
	defer release()
	if p == nil {
		return out, true
	}
	isAnchor := p.stepSyms(*anchor)
	isPath := make([]bool, len(p.syms))
	for i, sy := range p.syms {
		isPath[i] = sy.flags&symSkipped == 0
		isAnchor[i] = isAnchor[i] && isPath[i]
	}
	bufs := x.getBufs()
	defer x.putBufs(bufs)
	ta := sized(&bufs.a64, len(p.keys))
	for i := range ta {
		ta[i] = math.MaxInt64
	}
	for i, t := range p.ts {
		if t >= r.Range.From && t < r.Range.To && isAnchor[p.sym[i]] {
			if k := p.alias[p.key[i]]; t < ta[k] {
				ta[k] = t
			}
		}
	}
	slot := sized(&bufs.a32, len(p.keys))
	var persons int32
	for k, t := range ta {
		slot[k] = -1
		if t != math.MaxInt64 {
			slot[k] = persons
			persons++
		}
	}
	label := func(sym uint32) string { return p.labels[p.syms[sym].label] }
	// before orders the candidates of one person: by time (latest first
	// before an end), anchors first, then label.
	start := r.Start != nil
	before := func(a, b pathEntry) bool {
		if a.ts != b.ts {
			return (a.ts < b.ts) == start
		}
		if aa, ab := isAnchor[a.sym], isAnchor[b.sym]; aa != ab {
			return aa
		}
		return label(a.sym) < label(b.sym)
	}
	d := r.Depth
	buf := sized(&bufs.paths, int(persons)*d)
	cnt := zeroed(&bufs.counts, int(persons))
	for i, t := range p.ts {
		if t < r.Range.From || t >= r.Range.To || !isPath[p.sym[i]] {
			continue
		}
		k := p.alias[p.key[i]]
		sl := slot[k]
		if sl < 0 || (start && t < ta[k]) || (!start && t > ta[k]) {
			continue
		}
		e := pathEntry{t, p.sym[i]}
		b := buf[int(sl)*d : int(sl)*d+d]
		n := int(cnt[sl])
		if n == d && !before(e, b[n-1]) {
			continue
		}
		j := min(n, d-1)
		for j > 0 && before(e, b[j-1]) {
			b[j] = b[j-1]
			j--
		}
		b[j] = e
		if n < d {
			cnt[sl]++
		}
	}
	counts := map[string]int64{}
	var key []byte
	for sl := range persons {
		b := buf[int(sl)*d : int(sl)*d+int(cnt[sl])]
		slices.SortFunc(b, func(x, y pathEntry) int {
			if c := cmp.Compare(x.ts, y.ts); c != 0 {
				return c
			}
			return strings.Compare(label(x.sym), label(y.sym))
		})
		key = key[:0]
		for _, e := range b {
			key = binary.LittleEndian.AppendUint32(key, p.syms[e.sym].label)
		}
		counts[string(key)]++
	}
	for k, n := range counts {
		pc := store.PathCount{Persons: n, Steps: make([]string, 0, len(k)/4)}
		for i := 0; i < len(k); i += 4 {
			pc.Steps = append(pc.Steps, p.labels[binary.LittleEndian.Uint32([]byte(k[i:i+4]))])
		}
		out = append(out, pc)
	}
	slices.SortFunc(out, func(a, b store.PathCount) int {
		if c := cmp.Compare(b.Persons, a.Persons); c != 0 {
			return c
		}
		return slices.Compare(a.Steps, b.Steps)
	})
	if len(out) > r.Limit {
		out = out[:r.Limit]
	}
	return out, true
}
