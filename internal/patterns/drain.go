package patterns

import (
	"fmt"
	"hash/fnv"
	"strings"
	"sync"
)

// Config tunes a Miner. Zero fields take the defaults below.
type Config struct {
	// Depth is the depth of the parse tree counting the root and the
	// leaves, as in the paper: the root, one layer by token count, then
	// Depth-2 layers keyed by the message's first tokens, then the leaves.
	// Default 4 (two prefix tokens), the paper's setting for most of its
	// data sets: deeper trees split groups whose variable part comes
	// early; shallower ones make the leaf lists long.
	Depth int
	// Similarity is the share of equal tokens (wildcards excluded; see
	// similarity) from which a message joins a group. Default 0.65. The
	// paper tunes it per data set between 0.3 and 0.7, with a regular
	// expression per data set; with Lore's masking and one setting for
	// all eight Loghub samples, 0.3–0.6 under-split OpenSSH and Zookeeper
	// (0.79 and 0.97 grouping accuracy), 0.65–0.7 is the plateau that
	// meets or beats every published figure, and from 0.75 Linux
	// over-splits (0.30). 0.65 sits in the middle of the plateau
	// (BENCHMARKS.md, "Log patterns").
	Similarity float64
	// MaxChildren caps an internal node's children; tokens beyond the cap
	// go to the wildcard child, as in the paper, so a variable that
	// escaped masking cannot blow up the tree. Default 100 (Drain3's).
	MaxChildren int
	// MaxGroups caps the groups of one miner; past it, a message that
	// matches no group is given the id of the overflow group (see
	// OverflowID) instead of growing memory without bound. Default 20000.
	MaxGroups int
}

func (c Config) withDefaults() Config {
	if c.Depth < 3 {
		c.Depth = 4
	}
	if c.Similarity <= 0 || c.Similarity > 1 {
		c.Similarity = 0.65
	}
	if c.MaxChildren <= 0 {
		c.MaxChildren = 100
	}
	if c.MaxGroups <= 0 {
		c.MaxGroups = 20000
	}
	return c
}

// OverflowID is the pattern id given once a miner holds MaxGroups groups
// and a message matches none of them.
const OverflowID = "p_overflow"

// Group is one log group: a template and what is known of its lines.
type Group struct {
	ID        string   `json:"id"`
	Tokens    []string `json:"tokens"` // the template, Wildcard where the lines differ
	Count     int64    `json:"count"`
	FirstSeen int64    `json:"first_seen"` // microseconds since the epoch, of the first line's event time
}

// Template renders the group's template as text.
func (g *Group) Template() string { return strings.Join(g.Tokens, " ") }

// Miner is an online Drain parse tree. Its methods are safe for concurrent
// use.
type Miner struct {
	cfg    Config
	mu     sync.Mutex
	root   node // children keyed by token count
	groups map[string]*Group
	dirty  bool
}

// node is an internal node of the parse tree; leaves hold groups.
type node struct {
	children map[string]*node
	groups   []*Group
}

// NewMiner returns an empty miner.
func NewMiner(cfg Config) *Miner {
	return &Miner{cfg: cfg.withDefaults(), groups: map[string]*Group{}}
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
	g := m.best(leaf.groups, toks)
	if g != nil {
		g.Count++
		if ts < g.FirstSeen {
			g.FirstSeen = ts
		}
		merge(g.Tokens, toks)
		return Match{ID: g.ID, Template: g.Template()}
	}
	if len(m.groups) >= m.cfg.MaxGroups {
		return Match{ID: OverflowID, Template: Wildcard}
	}
	// The tokens are substrings of the decoder's buffers: a kept group
	// owns copies, so it does not pin those buffers.
	owned := make([]string, len(toks))
	for i, t := range toks {
		owned[i] = strings.Clone(t)
	}
	g = &Group{ID: m.newID(owned), Tokens: owned, Count: 1, FirstSeen: ts}
	leaf.groups = append(leaf.groups, g)
	m.groups[g.ID] = g
	return Match{ID: g.ID, Template: g.Template(), New: true}
}

// Groups returns a copy of every group.
func (m *Miner) Groups() []Group {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Group, 0, len(m.groups))
	for _, g := range m.groups {
		c := *g
		c.Tokens = append([]string(nil), g.Tokens...)
		out = append(out, c)
	}
	return out
}

// Group returns a copy of the group with the given id.
func (m *Miner) Group(id string) (Group, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g, ok := m.groups[id]
	if !ok {
		return Group{}, false
	}
	c := *g
	c.Tokens = append([]string(nil), g.Tokens...)
	return c, true
}

// restore puts a persisted group back into the tree.
func (m *Miner) restore(g Group) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, dup := m.groups[g.ID]; dup || len(g.Tokens) == 0 {
		return
	}
	c := g
	leaf := m.leaf(c.Tokens)
	leaf.groups = append(leaf.groups, &c)
	m.groups[c.ID] = &c
}

// newID derives a group's id from its first template, so that a group
// found again after its persisted state was lost most often gets its old
// id back; a collision takes the next free suffix.
func (m *Miner) newID(toks []string) string {
	h := fnv.New64a()
	for _, t := range toks {
		h.Write([]byte(t))
		h.Write([]byte{0})
	}
	sum := h.Sum64()
	for i := 0; ; i++ {
		id := fmt.Sprintf("p%012x", (sum+uint64(i))&0xffffffffffff)
		if _, taken := m.groups[id]; !taken {
			return id
		}
	}
}

// leaf walks (creating nodes as needed) the tree path of toks: the
// token-count layer, then up to Depth-2 prefix tokens.
func (m *Miner) leaf(toks []string) *node {
	n := child(&m.root, fmt.Sprint(len(toks)), m.cfg.MaxChildren)
	for d := 0; d < m.cfg.Depth-2 && d < len(toks); d++ {
		n = child(n, toks[d], m.cfg.MaxChildren)
	}
	return n
}

// child returns n's child for key, creating it; a full node sends new
// keys to its wildcard child.
func child(n *node, key string, max int) *node {
	if n.children == nil {
		n.children = map[string]*node{}
	}
	if c, ok := n.children[key]; ok {
		return c
	}
	if len(n.children) >= max {
		key = Wildcard
		if c, ok := n.children[key]; ok {
			return c
		}
	}
	c := &node{}
	n.children[strings.Clone(key)] = c
	return c
}

// best returns the most similar group of a leaf when its similarity reaches
// the threshold; ties go to the group with more wildcards, as in the paper.
func (m *Miner) best(groups []*Group, toks []string) *Group {
	var best *Group
	bestSim, bestWild := -1.0, -1
	for _, g := range groups {
		sim, wild := similarity(g.Tokens, toks)
		if sim > bestSim || sim == bestSim && wild > bestWild {
			best, bestSim, bestWild = g, sim, wild
		}
	}
	if best != nil && bestSim >= m.cfg.Similarity {
		return best
	}
	return nil
}

// similarity is the paper's simSeq: the share of positions where template
// and message hold the same token. A wildcard in the template is counted
// in wild, not as similar, unless the message's token is itself a masked
// variable (then both agree the position is variable, and a message of
// only variables can still join its group).
func similarity(tmpl, toks []string) (sim float64, wild int) {
	if len(tmpl) != len(toks) {
		return 0, 0
	}
	if len(toks) == 0 {
		return 1, 0
	}
	same := 0
	for i, t := range tmpl {
		switch {
		case t == toks[i]:
			same++
		case t == Wildcard:
			wild++
		}
	}
	return float64(same) / float64(len(toks)), wild
}

// merge turns the template's positions that differ from toks into
// wildcards.
func merge(tmpl, toks []string) {
	for i := range tmpl {
		if tmpl[i] != toks[i] {
			tmpl[i] = Wildcard
		}
	}
}
