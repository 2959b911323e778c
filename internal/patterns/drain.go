package patterns

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
)

// Config tunes a Miner. Zero fields take the defaults (see DefaultConfig
// for the values and why).
type Config struct {
	// Depth is the depth of the parse tree counting the root and the
	// leaves, as in the Drain paper: the root, one layer by token count,
	// then Depth-2 layers keyed by the message's first tokens, then the
	// leaves.
	Depth int
	// Similarity is the share of equal tokens (wildcards excluded; see
	// compare) from which a message joins a group: the paper's st.
	Similarity float64
	// Variants is how many distinct values a position of a template
	// must show before it becomes a variable (Brain's threshold on a
	// column's unique words; see Miner). 1 generalises at the first
	// difference, as Drain does.
	Variants int
	// MaxChildren caps an internal node's children; tokens beyond the cap
	// go to the wildcard child, as in the paper, so a variable that
	// escaped masking cannot blow up the tree.
	MaxChildren int
	// MaxGroups and MaxBytes bound one miner: past either, the least
	// recently seen groups are forgotten (see Miner).
	MaxGroups int
	MaxBytes  int
}

// DefaultConfig is the one configuration used for every stream. The
// similarity, depth and variant threshold were chosen on held-out halves of
// the labelled Loghub samples (BENCHMARKS.md, "Log patterns"; the test
// TestLoghubHeldOut repeats the choice): depth 4 and similarity 0.6 win on
// either half, and the variant threshold 4 separates the small
// enumerations the Loghub ground truth keeps as constants (user=root,
// guest, test; stored as bytes or values) from the open sets it treats as
// variables (user names of failed logins).
var DefaultConfig = Config{
	Depth:       4,
	Similarity:  0.75,
	Variants:    4,
	MaxChildren: 100,  // Drain3's default
	MaxGroups:   5000, // a stream with more templates than this is logging payload
	MaxBytes:    8 << 20,
}

func (c Config) withDefaults() Config {
	d := DefaultConfig
	if c.Depth < 3 {
		c.Depth = d.Depth
	}
	if c.Similarity <= 0 || c.Similarity > 1 {
		c.Similarity = d.Similarity
	}
	if c.Variants <= 0 {
		c.Variants = d.Variants
	}
	if c.MaxChildren <= 0 {
		c.MaxChildren = d.MaxChildren
	}
	if c.MaxGroups <= 0 {
		c.MaxGroups = d.MaxGroups
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = d.MaxBytes
	}
	return c
}

// Group is one log group: a template and what is known of its lines.
type Group struct {
	ID        string   `json:"id"`
	Tokens    []string `json:"tokens"` // the template, Wildcard where the lines differ
	Count     int64    `json:"count"`
	FirstSeen int64    `json:"first_seen"` // microseconds since the epoch, of the first line's event time
	LastSeen  int64    `json:"last_seen"`  // the latest line's event time
	// Aliases are the ids of groups folded into this one (see Miner):
	// rows stamped with them belong to this group.
	Aliases []string `json:"aliases,omitempty"`
	// VariantOf is the group this one is a variant of, differing at the
	// token positions VariantAt (see Miner).
	VariantOf string `json:"variant_of,omitempty"`
	VariantAt []int  `json:"variant_at,omitempty"`
	// Claim is the order in which ID was claimed across the nodes
	// sharing a Registry (0: not claimed; see Processor.UseRegistry).
	// Between two groups of one family, the one claimed first names it.
	Claim int64 `json:"claim,omitempty"`
}

// Template renders the group's template as text.
func (g *Group) Template() string { return strings.Join(g.Tokens, " ") }

// Miner is an online Drain parse tree (He et al., "Drain: An Online Log
// Parsing Approach with Fixed Depth Tree", ICWS 2017) with two additions:
//
// Variants. Drain turns a template position into a wildcard at the first
// message that differs there, so "stored as bytes" and "stored as values",
// or "user=root" and "user=guest", become one template. Brain (Yu et al.,
// "Brain: Log Parsing with Bidirectional Parallel Tree", IEEE TSC 2023)
// instead counts the distinct words of each column of a group and keeps a
// column with fewer than a threshold of them as constants. Brain needs the
// whole data set; online, the miner keeps a message that differs from a
// group only in plain words as a variant group of its own, and counts the
// variants per set of differing positions. When they reach Variants, the
// position is a variable: the variants fold into the first group, whose
// template takes a wildcard there, and their ids become aliases of its id
// (rows already stamped with them count for it; see Canonical).
//
// Bounds. A miner holds at most MaxGroups groups of at most MaxBytes in
// all; past either it forgets its least recently seen group (a stream's
// new templates keep being learned, its stale ones go). A token longer
// than maxTokenLen is a wildcard, so one group is at most a few kilobytes.
//
// Its methods are safe for concurrent use.
type Miner struct {
	cfg     Config
	tag     uint16 // the stream's service, the first 16 bits of ids
	mu      sync.Mutex
	root    node // children keyed by token count
	groups  map[string]*group
	aliases map[string]string // folded id → the id it folded into
	lru     group             // sentinel of the recency list: next is the most recent
	bytes   int
	dirty   bool
	seq     uint64 // creation order, for ties
	clock   uint64 // counts touches, for recency within a leaf
	// budget and budgetBytes, when set, count groups and bytes across
	// the miners of a Processor.
	budget, budgetBytes *atomic.Int64
	// claiming makes the miner remember the groups it creates in pending,
	// for the Processor to claim their ids in its Registry.
	claiming bool
	pending  []pendingClaim
	// merged is the ids made aliases since the Processor last recorded
	// them as merges (quiet while making a merge another node recorded).
	merged []string
	quiet  bool
}

// pendingClaim is a group created here whose id is not claimed yet: its
// id and template when it was created.
type pendingClaim struct {
	id     string
	tokens []string
}

// maxPending bounds the claims a miner waits to make: past it (a flood of
// new templates while the registry is down), new groups keep the ids they
// were given here, unclaimed.
const maxPending = 10_000

// group is a Group in the tree.
type group struct {
	Group
	leaf       *node
	prev, next *group // the recency list
	parent     *group // the group this one is a variant of
	variants   []*variantSet
	bytes      int
	seq        uint64
	touched    uint64 // the miner's clock when last seen
}

// variantSet is the variants of a group that differ from it at the same
// positions.
type variantSet struct {
	pos     []int
	members []*group
}

// node is an internal node of the parse tree; leaves hold groups.
type node struct {
	parent   *node
	key      string
	children map[string]*node
	groups   []*group
}

// groupOverhead approximates the bytes a group costs beyond its tokens.
const groupOverhead = 256

// maxLeafGroups bounds the groups of one leaf, and so the comparisons one
// message costs: lines that share their length and first tokens but
// differ everywhere else (a flood of unique messages) would otherwise
// grow one leaf to the miner's whole bound. Past it the leaf forgets its
// least recently seen group.
const maxLeafGroups = 256

// NewMiner returns an empty miner.
func NewMiner(cfg Config) *Miner {
	return newMiner(cfg, 0)
}

func newMiner(cfg Config, tag uint16) *Miner {
	m := &Miner{cfg: cfg.withDefaults(), tag: tag, groups: map[string]*group{}, aliases: map[string]string{}}
	m.lru.next, m.lru.prev = &m.lru, &m.lru
	return m
}

// Match is the outcome of mining one message.
type Match struct {
	ID       string
	Template string
	New      bool // the message started a new group
}

// Add mines one message seen at ts (microseconds) and returns its group.
func (m *Miner) Add(msg string, ts int64) Match {
	toks := Tokenize(msg)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dirty = true
	leaf := m.leaf(toks)
	g, diff := m.best(leaf.groups, toks, m.cfg.Similarity)
	if g != nil && len(diff) > 0 && m.cfg.Variants > 1 {
		head, fold := m.variant(g, diff)
		if !fold {
			return m.create(leaf, toks, ts, head, diff)
		}
		g = head
	}
	if g != nil {
		m.join(g, toks, ts)
		return Match{ID: g.ID, Template: g.Template()}
	}
	return m.create(leaf, toks, ts, nil, nil)
}

// join adds a message to g, generalising g's template where they differ.
func (m *Miner) join(g *group, toks []string, ts int64) {
	g.Count++
	if ts < g.FirstSeen {
		g.FirstSeen = ts
	}
	if ts > g.LastSeen {
		g.LastSeen = ts
	}
	m.generalise(g, toks)
	m.touch(g)
}

// generalise turns g's template positions that differ from toks into
// wildcards (keeping a shared key: user=root, user=guest → user=<*>).
func (m *Miner) generalise(g *group, toks []string) {
	for i, t := range g.Tokens {
		if t == toks[i] || t == Wildcard {
			continue
		}
		if covers(t, toks[i]) {
			continue
		}
		g.Tokens[i] = widen(t, toks[i])
	}
}

// variant decides, for a message that differs from g only in plain words
// at positions diff, whether those positions have now shown Variants
// distinct values: then the variants fold into the family's first group,
// which it returns with true (the message joins it); else it returns the
// group the message is a new variant of, with false.
func (m *Miner) variant(g *group, diff []int) (*group, bool) {
	if p := g.parent; p != nil && sameDiff(p, g, diff) {
		// A variant of a variant, differing at the same positions,
		// counts with the first group.
		g = p
	}
	vs := g.variantSet(diff)
	// g itself, its variants and this message.
	if n := 2; vs != nil {
		n += len(vs.members)
		if n < m.cfg.Variants {
			return g, false
		}
	} else if n < m.cfg.Variants {
		return g, false
	}
	if vs != nil {
		for _, v := range append([]*group(nil), vs.members...) {
			m.fold(v, g)
		}
		g.dropVariantSet(vs)
	}
	return g, true
}

// sameDiff reports whether child differs from parent exactly at diff.
func sameDiff(parent, child *group, diff []int) bool {
	for _, vs := range parent.variants {
		for _, c := range vs.members {
			if c == child {
				return equalInts(vs.pos, diff)
			}
		}
	}
	return false
}

func (g *group) variantSet(diff []int) *variantSet {
	for _, vs := range g.variants {
		if equalInts(vs.pos, diff) {
			return vs
		}
	}
	return nil
}

func (g *group) dropVariantSet(vs *variantSet) {
	for i, v := range g.variants {
		if v == vs {
			g.variants = append(g.variants[:i], g.variants[i+1:]...)
			return
		}
	}
}

// fold merges v into g: g takes v's lines and its template's differences
// as wildcards, and v's id (and its own aliases) become aliases of g's;
// unless v's id was claimed before g's across nodes, then g takes it.
func (m *Miner) fold(v, g *group) {
	if len(v.Tokens) == len(g.Tokens) {
		m.generalise(g, v.Tokens)
	}
	g.Count += v.Count
	if v.FirstSeen < g.FirstSeen {
		g.FirstSeen = v.FirstSeen
	}
	if v.LastSeen > g.LastSeen {
		g.LastSeen = v.LastSeen
	}
	m.alias(v.ID, g)
	for _, a := range v.Aliases {
		m.aliases[a] = g.ID
		g.Aliases = append(g.Aliases, a)
	}
	v.Aliases = nil
	m.remove(v)
	if v.Claim > 0 && before(v.Claim, g) {
		// Across nodes, a family is named by its template claimed
		// first (see Processor.UseRegistry).
		m.rename(g, v.ID)
		g.Claim = v.Claim
	}
}

// create starts a group for toks in leaf; parent and diff name the group
// it is a variant of, if any.
func (m *Miner) create(leaf *node, toks []string, ts int64, parent *group, diff []int) Match {
	// The tokens are substrings of the decoder's buffers: a kept group
	// owns copies, so it does not pin those buffers.
	owned := make([]string, len(toks))
	size := groupOverhead
	for i, t := range toks {
		owned[i] = strings.Clone(t)
		size += len(t) + 16
	}
	m.seq++
	g := &group{Group: Group{ID: m.newID(owned), Tokens: owned, Count: 1, FirstSeen: ts, LastSeen: ts}, leaf: leaf, bytes: size, seq: m.seq}
	if m.claiming && len(m.pending) < maxPending {
		m.pending = append(m.pending, pendingClaim{id: g.ID, tokens: append([]string(nil), owned...)})
	}
	m.place(g, parent, diff)
	return Match{ID: g.ID, Template: g.Template(), New: true}
}

// place links a new group to the group it is a variant of, if any, puts it
// in the tree and keeps the miner and its leaf within their bounds.
func (m *Miner) place(g, parent *group, diff []int) {
	if parent != nil {
		m.link(g, parent, diff)
	}
	m.insert(g)
	m.bound(g)
}

// bound keeps the miner and g's leaf within their bounds, keeping g.
func (m *Miner) bound(g *group) {
	leaf := g.leaf
	m.evict(g)
	if len(leaf.groups) > maxLeafGroups {
		var old *group
		for _, x := range leaf.groups {
			if x != g && (old == nil || x.touched < old.touched) {
				old = x
			}
		}
		m.forget(old)
	}
}

// link makes g a variant of parent at positions diff.
func (m *Miner) link(g, parent *group, diff []int) {
	g.parent = parent
	g.VariantOf, g.VariantAt = parent.ID, append([]int(nil), diff...)
	vs := parent.variantSet(diff)
	if vs == nil {
		vs = &variantSet{pos: g.VariantAt}
		parent.variants = append(parent.variants, vs)
	}
	vs.members = append(vs.members, g)
}

// insert puts g into its leaf, the id map and the recency list.
func (m *Miner) insert(g *group) {
	g.leaf.groups = append(g.leaf.groups, g)
	m.groups[g.ID] = g
	m.bytes += g.bytes
	if m.budget != nil {
		m.budget.Add(1)
		m.budgetBytes.Add(int64(g.bytes))
	}
	m.touch(g)
}

// touch makes g the most recently seen group.
func (m *Miner) touch(g *group) {
	m.clock++
	g.touched = m.clock
	if g.prev != nil {
		g.prev.next, g.next.prev = g.next, g.prev
	}
	g.next, g.prev = m.lru.next, &m.lru
	m.lru.next.prev = g
	m.lru.next = g
}

// evict forgets least recently seen groups (never keep) while the miner is
// over its bounds.
func (m *Miner) evict(keep *group) {
	for len(m.groups) > m.cfg.MaxGroups || m.bytes > m.cfg.MaxBytes {
		g := m.lru.prev
		if g == &m.lru || g == keep {
			return
		}
		m.forget(g)
	}
}

// forget drops g and the aliases that point to it.
func (m *Miner) forget(g *group) {
	for _, a := range g.Aliases {
		delete(m.aliases, a)
	}
	m.remove(g)
}

// remove takes g out of the tree, the id map and the recency list, and
// unlinks it from its family.
func (m *Miner) remove(g *group) {
	leaf := g.leaf
	for i, x := range leaf.groups {
		if x == g {
			leaf.groups = append(leaf.groups[:i], leaf.groups[i+1:]...)
			break
		}
	}
	// Prune the branch that held only g.
	for n := leaf; n.parent != nil && len(n.groups) == 0 && len(n.children) == 0; n = n.parent {
		delete(n.parent.children, n.key)
	}
	delete(m.groups, g.ID)
	m.bytes -= g.bytes
	if m.budget != nil {
		m.budget.Add(-1)
		m.budgetBytes.Add(-int64(g.bytes))
	}
	g.prev.next, g.next.prev = g.next, g.prev
	g.prev, g.next = nil, nil
	if p := g.parent; p != nil {
		for _, vs := range p.variants {
			for i, c := range vs.members {
				if c == g {
					vs.members = append(vs.members[:i], vs.members[i+1:]...)
					break
				}
			}
		}
	}
	for _, vs := range g.variants {
		for _, c := range vs.members {
			c.parent, c.VariantOf, c.VariantAt = nil, "", nil
		}
	}
	g.variants, g.parent = nil, nil
	g.VariantOf, g.VariantAt = "", nil
}

// Len returns the number of groups the miner holds.
func (m *Miner) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.groups)
}

// Bytes returns the approximate memory the miner's groups take.
func (m *Miner) Bytes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

// Groups returns a copy of every group.
func (m *Miner) Groups() []Group {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Group, 0, len(m.groups))
	for g := m.lru.next; g != &m.lru; g = g.next {
		out = append(out, g.copy())
	}
	return out
}

func (g *group) copy() Group {
	c := g.Group
	c.Tokens = append([]string(nil), g.Tokens...)
	c.Aliases = append([]string(nil), g.Aliases...)
	return c
}

// Canonical returns the id a (possibly folded) id stands for now.
func (m *Miner) Canonical(id string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.canonical(id)
}

func (m *Miner) canonical(id string) string {
	for range 64 { // alias chains are short; the bound guards a cycle
		to, ok := m.aliases[id]
		if !ok {
			return id
		}
		id = to
	}
	return id
}

// Family returns the id of the first group of the family an id belongs
// to: the group it was folded into, or the group it is a variant of, or
// itself. Unlike the id, it does not change when variants fold, so it
// suits keys that must stay put (issue fingerprints). Unknown ids are
// returned as they are.
func (m *Miner) Family(id string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.groups[m.canonical(id)]
	if !ok {
		return id
	}
	for range 64 {
		if g.parent == nil {
			break
		}
		g = g.parent
	}
	return g.ID
}

// Group returns a copy of the group with the given id, following aliases.
func (m *Miner) Group(id string) (Group, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.groups[m.canonical(id)]
	if !ok {
		return Group{}, false
	}
	return g.copy(), true
}

// snapshot returns the groups to persist, least recently seen first, and
// whether anything changed since the last snapshot (then it clears the
// mark).
func (m *Miner) snapshot() (streamState, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.dirty {
		return streamState{}, false
	}
	m.dirty = false
	st := streamState{Version: 2, Groups: make([]Group, 0, len(m.groups))}
	for g := m.lru.prev; g != &m.lru; g = g.prev {
		st.Groups = append(st.Groups, g.copy())
	}
	return st, true
}

// markDirty asks for the next snapshot (after a failed write).
func (m *Miner) markDirty() {
	m.mu.Lock()
	m.dirty = true
	m.mu.Unlock()
}

// clear forgets every group.
func (m *Miner) clear() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for g := m.lru.prev; g != &m.lru; g = m.lru.prev {
		m.forget(g)
	}
}

// evictOldest forgets the least recently seen group, reporting whether
// there was one, for a bound shared by several miners.
func (m *Miner) evictOldest() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.lru.prev
	if g == &m.lru {
		return false
	}
	m.dirty = true
	m.forget(g)
	return true
}

// restore puts a persisted group back into the tree, oldest first (the
// recency list is rebuilt from the order of the calls).
func (m *Miner) restore(g Group) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.groups[g.ID]; dup || len(g.Tokens) == 0 || len(g.Tokens) > maxTokens {
		return
	}
	c := &group{Group: g}
	c.Tokens = append([]string(nil), g.Tokens...)
	c.bytes = groupOverhead
	for _, t := range c.Tokens {
		c.bytes += len(t) + 16
	}
	m.seq++
	c.seq = m.seq
	c.leaf = m.leaf(c.Tokens)
	m.insert(c)
	for _, a := range g.Aliases {
		m.aliases[a] = g.ID
	}
	m.evict(c)
}

// relink rebuilds the variant sets from the restored groups' VariantOf.
func (m *Miner) relink() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for g := m.lru.next; g != &m.lru; g = g.next {
		if g.VariantOf == "" || g.parent != nil {
			continue
		}
		p, ok := m.groups[g.VariantOf]
		if ok && p != g && p.VariantOf == "" && len(p.Tokens) == len(g.Tokens) && validPositions(g.VariantAt, len(g.Tokens)) {
			m.link(g, p, g.VariantAt)
		} else {
			g.VariantOf, g.VariantAt = "", nil
		}
	}
}

func validPositions(pos []int, n int) bool {
	for i, p := range pos {
		if p < 0 || p >= n || i > 0 && p <= pos[i-1] {
			return false
		}
	}
	return len(pos) > 0
}

// newID derives a group's id from the stream and its first template, so
// that a group found again after its persisted state was lost most often
// gets its old id back; a collision takes the next free suffix. An id is
// "p", 4 hex digits naming the stream's service (so that a project's
// miners can find an id's group without an index) and 8 of the template.
func (m *Miner) newID(toks []string) string {
	for i := 0; ; i++ {
		id := candidateID(m.tag, toks, i)
		if !m.known(id) {
			return id
		}
	}
}

// candidateID is the i-th id a group of the template toks may take in the
// stream tagged tag: the hash of the template, plus i.
func candidateID(tag uint16, toks []string, i int) string {
	h := fnv.New32a()
	for _, t := range toks {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	return fmt.Sprintf("p%04x%08x", tag, h.Sum32()+uint32(i))
}

// known reports whether id is a group's or an alias here.
func (m *Miner) known(id string) bool {
	if _, ok := m.groups[id]; ok {
		return true
	}
	_, ok := m.aliases[id]
	return ok
}

// leaf walks (creating nodes as needed) the tree path of toks: the
// token-count layer, then up to Depth-2 prefix tokens.
func (m *Miner) leaf(toks []string) *node {
	n := m.child(&m.root, strconv.Itoa(len(toks)))
	for d := 0; d < m.cfg.Depth-2 && d < len(toks); d++ {
		n = m.child(n, routeKey(toks[d]))
	}
	return n
}

// routeKey is the tree key of a prefix token. A token with a masked field
// routes by its shape (every key=<*> alike), so that the first tokens of
// a line route by the constant words only, as the paper's tree does for
// tokens with digits.
func routeKey(t string) string {
	if t != Wildcard && strings.Contains(t, Wildcard) {
		return Wildcard
	}
	return t
}

// child returns n's child for key, creating it; a full node sends new
// keys to its wildcard child.
func (m *Miner) child(n *node, key string) *node {
	if n.children == nil {
		n.children = map[string]*node{}
	}
	if c, ok := n.children[key]; ok {
		return c
	}
	if len(n.children) >= m.cfg.MaxChildren {
		key = Wildcard
		if c, ok := n.children[key]; ok {
			return c
		}
	}
	key = strings.Clone(key)
	c := &node{parent: n, key: key}
	n.children[key] = c
	return c
}

// order is when g came first: the order its id was claimed in across
// nodes, else (unclaimed, after every claimed group) its creation here.
func (g *group) order() uint64 {
	if g.Claim > 0 {
		return uint64(g.Claim)
	}
	return 1<<63 + g.seq
}

// best returns the most similar group of a leaf when its similarity
// reaches the threshold, with the positions where the message's plain
// words differ from its template. Ties go to a first group over a variant
// (so a new value counts against the family), then to the group with more
// wildcards, as in the paper, then to the one that came first (see order).
func (m *Miner) best(groups []*group, toks []string, threshold float64) (*group, []int) {
	var best *group
	bestSim, bestWild := -1.0, -1
	for _, g := range groups {
		sim, wild, ok := compare(g.Tokens, toks)
		if !ok {
			continue
		}
		switch {
		case best == nil, sim > bestSim:
		case sim < bestSim:
			continue
		case (g.parent == nil) != (best.parent == nil):
			if g.parent != nil {
				continue
			}
		case wild != bestWild:
			if wild < bestWild {
				continue
			}
		case g.order() > best.order():
			continue
		}
		best, bestSim, bestWild = g, sim, wild
	}
	if best == nil || bestSim < threshold {
		return nil, nil
	}
	var diff []int
	for i, t := range best.Tokens {
		if t != toks[i] && t != Wildcard && !covers(t, toks[i]) {
			diff = append(diff, i)
		}
	}
	return best, diff
}

// compare is the paper's simSeq: the share of positions where template and
// message hold the same token. A wildcard in the template (or a masked
// field covering the message's value, user=<*> against user=bob) is
// counted in wild, not as similar, unless the message's token is itself
// masked the same way (then both agree the position is variable, and a
// message of only variables can still join its group).
//
// Two tokens that differ where one has a masked field the other does not
// fit are different statements, not a variable: "(uid=<*>)" and
// "LOGIN(uid=<*>)", "tty=<*>" and "tty=NODEVssh". Then ok is false and the
// message cannot join the group however similar the rest.
func compare(tmpl, toks []string) (sim float64, wild int, ok bool) {
	if len(tmpl) != len(toks) {
		return 0, 0, false
	}
	if len(toks) == 0 {
		return 1, 0, true
	}
	same := 0
	for i, t := range tmpl {
		m := toks[i]
		switch {
		case t == m:
			same++
		case t == Wildcard:
			wild++
		case covers(t, m):
			wild++
		case masked(t) || masked(m):
			return 0, 0, false
		}
	}
	return float64(same) / float64(len(toks)), wild, true
}

// masked reports whether t has a masked field (but is not a wildcard).
func masked(t string) bool {
	return len(t) > len(Wildcard) && strings.Contains(t, Wildcard)
}

// covers reports whether template token t, with masked fields, matches
// token m: m equals t with each <*> replaced by some text (<*> included).
func covers(t, m string) bool {
	if !masked(t) {
		return false
	}
	return glob(t, m)
}

// glob matches m against pattern t where <*> stands for any non-empty
// text. It is the usual wildcard match with backtracking to the last
// wildcard only, so it takes O(len(t)·len(m)) steps however many
// wildcards t has.
func glob(t, m string) bool {
	ti, mi := 0, 0
	star, mark := -1, 0 // after the last wildcard seen in t, and where m resumed
	for mi < len(m) {
		switch {
		case strings.HasPrefix(t[ti:], Wildcard):
			ti += len(Wildcard)
			star, mark = ti, mi+1 // the wildcard takes at least one byte
			mi++
		case ti < len(t) && t[ti] == m[mi]:
			ti++
			mi++
		case star >= 0:
			ti = star
			mark++
			mi = mark
		default:
			return false
		}
	}
	return ti == len(t)
}

// widen generalises two different tokens: the same key keeps its name
// (user=root, user=guest → user=<*>), anything else is a wildcard.
func widen(t, m string) string {
	k := strings.IndexAny(t, "=:")
	if k > 0 && k < len(t)-1 && len(m) > k+1 && m[:k+1] == t[:k+1] && hasLetter(t[:k]) {
		return t[:k+1] + Wildcard
	}
	return Wildcard
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
