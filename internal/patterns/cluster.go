package patterns

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

// Registry keeps the pattern ids of every node sharing it: one id per
// stream and template, claimed by the first node that mines the template,
// so that every node labels the same logs with the same id. The metadata
// database is one (meta.Store, on PostgreSQL when nodes share it).
type Registry interface {
	// ClaimPattern claims c.ID for c's stream and template unless the
	// template has one: it returns the claim that holds (c's with its
	// Seq and At, or the first one) and true, or false when c.ID is
	// another template's id in the project.
	ClaimPattern(ctx context.Context, c meta.PatternClaim) (meta.PatternClaim, bool, error)
	// PatternClaims returns up to limit claims made after (at, seq), in
	// the order of (At, Seq).
	PatternClaims(ctx context.Context, at, seq int64, limit int) ([]meta.PatternClaim, error)
	// MergePatterns records that a node found two ids to be one pattern.
	MergePatterns(ctx context.Context, m meta.PatternMerge) error
	// PatternMerges returns up to limit merges recorded after (at, seq),
	// in the order of (At, Seq).
	PatternMerges(ctx context.Context, at, seq int64, limit int) ([]meta.PatternMerge, error)
}

var _ Registry = (*meta.Store)(nil)

// syncEvery is how often a Processor with a Registry claims the ids of
// the groups it created and learns the templates other nodes claimed.
const syncEvery = time.Second

// learnOverlap is how far back each sync reads claims again: a claim
// numbered before another may be committed after it, and is still read.
const learnOverlap = int64(5 * time.Second / time.Microsecond)

// learnPage is how many claims one read of the registry returns.
const learnPage = 1000

// UseRegistry makes the processor share its pattern ids through r with
// the other nodes using it, until Close: every second it claims the ids of
// the groups it created since (a template another node claimed first takes
// that node's id, and this node's becomes an alias of it), records the ids
// it found to be one pattern (a folded variant, a template another
// covers), and learns what the other nodes claimed and merged, into its
// own miners. Ingest never waits for the registry. Call it before the
// processor mines.
func (p *Processor) UseRegistry(r Registry) {
	p.mu.Lock()
	p.registry = r
	for _, s := range p.streams {
		s.miner.claimAll()
	}
	p.mu.Unlock()
	p.syncDone = make(chan struct{})
	go p.syncer()
}

func (p *Processor) syncer() {
	defer close(p.syncDone)
	p.every(syncEvery, "share log pattern ids", func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return p.Sync(ctx)
	})
}

// Sync claims the ids of the groups created since the last Sync, records
// the merges made since, and learns the templates claimed and the merges
// recorded by other nodes since. Without a Registry it does nothing.
func (p *Processor) Sync(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	p.mu.RLock()
	r := p.registry
	ss := make([]*stream, 0, len(p.streams))
	for _, s := range p.streams {
		ss = append(ss, s)
	}
	p.mu.RUnlock()
	if r == nil {
		return nil
	}
	for _, s := range ss {
		pend := s.miner.takePending()
		for i, pc := range pend {
			c, ok, taken, err := p.claim(ctx, r, s, pc)
			switch {
			case err != nil:
				s.miner.requeue(pend[i:])
				return err
			case ok:
				s.miner.settle(pc.id, c.ID, c.Seq, !taken)
			default:
				p.log.Warn("log pattern id left unclaimed: its first candidates are other templates'", "id", pc.id, "service", s.Service)
			}
		}
	}
	for _, s := range ss {
		ms := s.miner.takeMerges()
		for i, mg := range ms {
			mg.Project, mg.Service = s.Project, s.Service
			if err := r.MergePatterns(ctx, mg); err != nil {
				s.miner.requeueMerges(ms[i:])
				return err
			}
		}
	}
	err := p.learn(ctx, r)
	if err == nil {
		err = p.learnMerges(ctx, r)
	}
	p.enforce()
	return err
}

// claim claims an id for a group created here: the one it was given if
// it is free across nodes, else the next candidate. ok is false when the
// first 16 candidates are all other templates' (a run of 32-bit hash
// collisions in one project). taken is true when the group's own id is
// another template's across nodes.
func (p *Processor) claim(ctx context.Context, r Registry, s *stream, pc pendingClaim) (c meta.PatternClaim, ok, taken bool, err error) {
	tmpl, err := json.Marshal(pc.tokens)
	if err != nil {
		return c, false, false, fmt.Errorf("encode template of %s: %w", pc.id, err)
	}
	sum := sha256.Sum256(tmpl)
	c = meta.PatternClaim{Project: s.Project, Service: s.Service, Key: hex.EncodeToString(sum[:16]), Template: string(tmpl), ID: pc.id}
	for i := 0; i < 16; i++ {
		if i > 0 {
			c.ID = candidateID(s.miner.tag, pc.tokens, i)
			if c.ID == pc.id {
				continue
			}
		}
		got, ok, err := r.ClaimPattern(ctx, c)
		if err != nil || ok {
			return got, ok, taken, err
		}
		taken = taken || i == 0
	}
	return c, false, taken, nil
}

// learn reads the claims made since the last read (and learnOverlap
// before) and learns each one's template in its stream's miner.
func (p *Processor) learn(ctx context.Context, r Registry) error {
	at, seq := max(p.learnedAt-learnOverlap, 0), int64(0)
	for {
		cs, err := r.PatternClaims(ctx, at, seq, learnPage)
		if err != nil {
			return err
		}
		for _, c := range cs {
			var toks []string
			if err := json.Unmarshal([]byte(c.Template), &toks); err != nil || len(toks) == 0 || len(toks) > maxTokens {
				p.log.Warn("skip unreadable pattern template", "id", c.ID, "service", c.Service, "err", err)
			} else {
				p.stream(Stream{Project: c.Project, Service: c.Service}).miner.learn(toks, c.ID, c.Seq, c.At)
			}
			at, seq = c.At, c.Seq
			p.learnedAt = max(p.learnedAt, c.At)
		}
		if len(cs) < learnPage {
			return nil
		}
	}
}

// learnMerges reads the merges recorded since the last read (and
// learnOverlap before) and makes each in its stream's miner.
func (p *Processor) learnMerges(ctx context.Context, r Registry) error {
	at, seq := max(p.mergedAt-learnOverlap, 0), int64(0)
	for {
		ms, err := r.PatternMerges(ctx, at, seq, learnPage)
		if err != nil {
			return err
		}
		for _, mg := range ms {
			p.stream(Stream{Project: mg.Project, Service: mg.Service}).miner.merge(mg.ID, mg.Into)
			at, seq = mg.At, mg.Seq
			p.mergedAt = max(p.mergedAt, mg.At)
		}
		if len(ms) < learnPage {
			return nil
		}
	}
}

// claimAll makes the miner claim its groups not claimed yet (restored from
// disk) and those it creates from now on.
func (m *Miner) claimAll() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.claiming = true
	for g := m.lru.prev; g != &m.lru; g = g.prev {
		if g.Claim == 0 && len(m.pending) < maxPending {
			m.pending = append(m.pending, pendingClaim{id: g.ID, tokens: append([]string(nil), g.Tokens...)})
		}
	}
}

// takePending returns the claims to make and forgets them.
func (m *Miner) takePending() []pendingClaim {
	m.mu.Lock()
	defer m.mu.Unlock()
	pend := m.pending
	m.pending = nil
	return pend
}

// takeMerges returns the merges to record, each alias made since the last
// call with the id it stands for now, and forgets them.
func (m *Miner) takeMerges() []meta.PatternMerge {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []meta.PatternMerge
	for _, id := range m.merged {
		if to := m.canonical(id); to != id {
			out = append(out, meta.PatternMerge{ID: id, Into: to})
		}
	}
	m.merged = nil
	return out
}

// requeueMerges puts back merges that could not be recorded.
func (m *Miner) requeueMerges(ms []meta.PatternMerge) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, mg := range ms {
		if len(m.merged) < maxPending {
			m.merged = append(m.merged, mg.ID)
		}
	}
}

// merge makes id and into, found to be one pattern by another node, one
// here: their groups fold together (the one claimed first naming it), or
// the one unknown here becomes an alias of the other's group.
func (m *Miner) merge(id, into string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.quiet = true // another node recorded it
	defer func() { m.quiet = false }()
	from, to := m.groups[m.canonical(id)], m.groups[m.canonical(into)]
	switch {
	case from != nil && to != nil && from != to:
		m.dirty = true
		m.fold(from, to)
	case from == nil && to != nil && !m.known(id):
		m.dirty = true
		m.alias(id, to)
	case to == nil && from != nil && !m.known(into):
		m.dirty = true
		m.alias(into, from)
	}
}

// requeue puts back claims that could not be made.
func (m *Miner) requeue(pend []pendingClaim) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := maxPending - len(m.pending); len(pend) > n {
		pend = pend[:max(n, 0)]
	}
	m.pending = append(pend, m.pending...)
}

// settle records the claim that holds for a group created here as id:
// the group takes the claimed id and its claim order; its own id becomes
// an alias of it unless keep is false (the id is another template's across
// nodes: the rows this node stamped with it meanwhile are mislabelled). A
// group folded meanwhile passes both to the group it folded into, which
// takes the id if it was claimed first.
func (m *Miner) settle(id, claimed string, seq int64, keep bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dirty = true
	g, ok := m.groups[id]
	if !ok {
		g = m.groups[m.canonical(id)]
		if g == nil {
			return // forgotten
		}
		switch {
		case m.known(claimed) && m.canonical(claimed) != g.ID:
			// Another group's here: the same template learned.
		case seq > 0 && before(seq, g):
			m.rename(g, claimed)
			g.Claim = seq
		case !m.known(claimed):
			m.alias(claimed, g)
		}
		if !keep {
			m.unalias(id)
		}
		return
	}
	if claimed != id {
		if other, ok := m.groups[m.canonical(claimed)]; ok && other != g {
			// Learned meanwhile as a group of its own: the same
			// template twice.
			g.Claim = seq
			m.fold(g, other)
			return
		}
		m.rename(g, claimed)
		if !keep {
			m.unalias(id)
		}
	}
	if before(seq, g) {
		g.Claim = seq
	}
}

// learn puts a template another node claimed (or this one, before a
// restart) into the tree, as mining it would, with its claimed id: as a
// group of its own, a variant, or an alias of the group it falls in. Of
// two groups of one family the one claimed first names the family, so
// that nodes that saw its lines in different orders agree: a group claimed
// after the learned template gives it its id, and a first group claimed
// after it becomes its variant.
func (m *Miner) learn(toks []string, id string, seq, at int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if g, ok := m.groups[id]; ok {
		if before(seq, g) {
			g.Claim = seq
		}
		return
	}
	if _, ok := m.aliases[id]; ok {
		return
	}
	m.dirty = true
	leaf := m.leaf(toks)
	g, diff := m.best(leaf.groups, toks, m.cfg.Similarity)
	if g == nil {
		m.place(m.learned(leaf, toks, id, seq, at), nil, nil)
		return
	}
	if len(diff) == 0 || m.cfg.Variants <= 1 {
		m.generalise(g, toks)
		m.claimFor(g, id, seq)
		return
	}
	head := g
	for i := 0; head.parent != nil && i < 64; i++ {
		head = head.parent
	}
	if before(seq, head) {
		// Bounding the miner may forget head: only after adopting.
		l := m.learned(leaf, toks, id, seq, at)
		m.insert(l)
		m.adopt(l, head)
		m.bound(l)
		return
	}
	head, fold := m.variant(g, diff)
	if fold {
		m.generalise(head, toks)
		m.claimFor(head, id, seq)
		return
	}
	m.place(m.learned(leaf, toks, id, seq, at), head, diff)
}

// learned is a group for a template claimed elsewhere: no lines seen here.
func (m *Miner) learned(leaf *node, toks []string, id string, seq, at int64) *group {
	owned := make([]string, len(toks))
	size := groupOverhead
	for i, t := range toks {
		owned[i] = t
		size += len(t) + 16
	}
	m.seq++
	return &group{Group: Group{ID: id, Tokens: owned, FirstSeen: at, LastSeen: at, Claim: seq}, leaf: leaf, bytes: size, seq: m.seq}
}

// claimFor makes id, claimed in order seq, name g if it was claimed before
// g's id, else an alias of g.
func (m *Miner) claimFor(g *group, id string, seq int64) {
	if seq > 0 && before(seq, g) {
		m.rename(g, id)
		g.Claim = seq
		return
	}
	m.alias(id, g)
}

// before reports whether an id claimed in order seq was claimed before g's
// (an unclaimed group's id will be claimed after it).
func before(seq int64, g *group) bool { return g.Claim == 0 || seq < g.Claim }

// alias makes id an alias of g, a merge for the Processor to record.
func (m *Miner) alias(id string, g *group) {
	if g == nil || id == g.ID {
		return
	}
	m.aliases[id] = g.ID
	g.Aliases = append(g.Aliases, id)
	if m.claiming && !m.quiet && len(m.merged) < maxPending {
		m.merged = append(m.merged, id)
	}
}

// unalias forgets the alias id.
func (m *Miner) unalias(id string) {
	to, ok := m.aliases[id]
	if !ok {
		return
	}
	delete(m.aliases, id)
	if g := m.groups[to]; g != nil {
		g.Aliases = slices.DeleteFunc(g.Aliases, func(a string) bool { return a == id })
	}
}

// rename gives g the id to, its old id becoming an alias of it.
func (m *Miner) rename(g *group, to string) {
	if to == g.ID {
		return
	}
	old := g.ID
	delete(m.aliases, to)
	for i, a := range g.Aliases {
		if a == to {
			g.Aliases = append(g.Aliases[:i], g.Aliases[i+1:]...)
			break
		}
	}
	delete(m.groups, old)
	g.ID = to
	m.groups[to] = g
	for _, a := range g.Aliases {
		m.aliases[a] = to
	}
	m.alias(old, g)
	for _, vs := range g.variants {
		for _, v := range vs.members {
			v.VariantOf = to
		}
	}
}

// adopt makes l, claimed before head, the first group of head's family:
// head and its variants become l's variants (or fold into it where l's
// template covers them), and a set of variants that reaches
// Config.Variants folds, as it would have had l come first.
func (m *Miner) adopt(l, head *group) {
	members := []*group{head}
	for _, vs := range head.variants {
		members = append(members, vs.members...)
	}
	for _, x := range members {
		x.parent, x.VariantOf, x.VariantAt = nil, "", nil
	}
	head.variants = nil
	for _, x := range members {
		if _, _, ok := compare(l.Tokens, x.Tokens); !ok {
			continue // a family of its own
		}
		var diff []int
		for i, t := range l.Tokens {
			if t != x.Tokens[i] && t != Wildcard && !covers(t, x.Tokens[i]) {
				diff = append(diff, i)
			}
		}
		if len(diff) == 0 {
			m.fold(x, l)
		} else {
			m.link(x, l, diff)
		}
	}
	for _, vs := range append([]*variantSet(nil), l.variants...) {
		if 1+len(vs.members) < m.cfg.Variants {
			continue
		}
		for _, v := range append([]*group(nil), vs.members...) {
			m.fold(v, l)
		}
		l.dropVariantSet(vs)
	}
}
