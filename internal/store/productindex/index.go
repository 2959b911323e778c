// Package productindex is the events store's person index, an optional
// accelerator of funnels, retention and paths (store.FunnelIndex,
// store.RetentionIndex, store.PathsIndex, found by type assertion; the
// analyses' SQL gives the same answers without it).
//
// The product index is a compact, in-memory copy of what funnels,
// retention and paths read: one row per product event or error that has a
// person (20 bytes: time, key, symbol, arrival), per project, with the identity map
// (anonymous id → least user id seen with it) kept beside it. The store feeds
// it after each commit (Add); at open it reads its snapshot (snapshot.go) or
// rebuilds it (Load) from the events and idents tables, so it is never more than
// a batch behind the store. Deletions (retention, erasure) are followed by a
// Load. Rows are clustered by person from time to time
// (compact), so that per-person work reads memory in sequence.
//
// A query walks it without SQL: a funnel walks each person's events once,
// as ClickHouse's windowFunnel does (funnel.go); retention and
// paths keep a little state per person (retention.go,
// paths.go). Step filters and breakdowns need the events' other
// columns, so requests with them keep to SQL.
package productindex

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/sqlq"
	"github.com/lore-dev/lore/internal/store"
)

// Symbol flags.
const (
	symProduct = 1 << iota // kind event or pageview
	symError               // kind error, or level error or fatal
	symSkipped             // bookkeeping name left out of paths
)

// Index holds every project's product rows.
type Index struct {
	clean    func(string) string
	mu       sync.RWMutex
	projects map[int64]*productProject
	bufs     sync.Pool // of *queryBufs
}

// queryBufs are a query's large working arrays, reused by later queries
// so that each does not hand the GC a hundred megabytes.
type queryBufs struct {
	a32, b32 []int32
	a64, ts  []int64
	sym      []uint32
	idx      []int32
	split    []bool
	paths    []pathEntry
	counts   []uint8
	seen     []uint64
}

func (x *Index) getBufs() *queryBufs {
	if b, ok := x.bufs.Get().(*queryBufs); ok {
		return b
	}
	return &queryBufs{}
}

func (x *Index) putBufs(b *queryBufs) { x.bufs.Put(b) }

// zeroed returns (*s)[:n] cleared, growing *s if needed.
func zeroed[T any](s *[]T, n int) []T {
	v := sized(s, n)
	clear(v)
	return v
}

// sized returns (*s)[:n], growing *s if needed; the contents are stale.
func sized[T any](s *[]T, n int) []T {
	if cap(*s) < n {
		*s = make([]T, n+n/8)
	}
	return (*s)[:n]
}

// productSym is a distinct (flags, name, path label) of indexed events.
type productSym struct {
	flags uint8
	name  string
	label uint32 // index in productProject.labels
}

type symKey struct {
	flags       uint8
	name, label string
}

// productProject is one project's rows and dictionaries. keys holds every
// id seen as a person key or in an identity pair; alias maps a key to its
// person's key (itself when it has no identity pair).
type productProject struct {
	keyIDs   map[string]uint32
	keys     []string
	alias    []uint32
	symIDs   map[symKey]uint32
	syms     []productSym
	labelIDs map[string]uint32
	labels   []string

	// Rows [0, sealed) are clustered by person (in append order, mostly
	// time order, within a person), the rest in append order: a query's
	// per-person work then reads memory mostly in sequence rather than
	// at random.
	ts  []int64
	key []uint32
	sym []uint32
	// seq is each row's arrival number (0, 1, 2… in the order rows were
	// added): rows with equal times are ordered by it, so funnel steps
	// with equal timestamps advance in arrival order, as in SQL (ts,
	// rowid); the clustering keeps each person's rows in this order.
	seq    []uint32
	sealed int
	// moved are the persons whose keys changed since the clustering
	// (each identity that moved a key: its old and new person).
	moved []uint32
}

// compactMin is the fewest unclustered rows worth a compaction.
const compactMin = 1 << 16

// maybeCompact clusters the rows by person once the unclustered tail is
// large (at least compactMin rows and a quarter of the clustered ones, so
// that each row is moved a few times over the index's life), or many keys
// moved between persons. At 10M rows a compaction holds the index's lock
// for a fraction of a second and briefly needs a second copy of the rows.
func (p *productProject) maybeCompact() {
	tail, moved := len(p.ts)-p.sealed, len(p.moved)
	if tail >= compactMin && tail >= p.sealed/4 || moved >= compactMin && moved >= len(p.keys)/8 {
		p.compact()
	}
}

// compact sorts the rows by person, each person's in arrival order (a
// counting sort over the rows taken in seq order). An identity learnt
// later moves a key to another person: its rows stay where they are,
// which costs queries a little locality, never correctness.
func (p *productProject) compact() {
	n := len(p.ts)
	off := make([]int, len(p.keys)+1)
	for _, k := range p.key {
		off[p.alias[k]+1]++
	}
	for k := 1; k < len(off); k++ {
		off[k] += off[k-1]
	}
	byArrival := p.arrivalOrder()
	c := n + n/4
	ts, key, sym, seq := make([]int64, n, c), make([]uint32, n, c), make([]uint32, n, c), make([]uint32, n, c)
	for _, i := range byArrival {
		k := p.key[i]
		a := p.alias[k]
		j := off[a]
		off[a]++
		ts[j], key[j], sym[j], seq[j] = p.ts[i], k, p.sym[i], p.seq[i]
	}
	p.ts, p.key, p.sym, p.seq, p.sealed = ts, key, sym, seq, n
	p.moved = nil
}

// arrivalOrder returns the rows' positions in arrival (seq) order.
func (p *productProject) arrivalOrder() []uint32 {
	order := make([]uint32, len(p.seq))
	for i, q := range p.seq {
		order[q] = uint32(i)
	}
	return order
}

// New returns an empty index. clean is a string as the store keeps it
// (what its tables hold, and so what Load reads back).
func New(clean func(string) string) *Index {
	return &Index{projects: map[int64]*productProject{}, clean: clean}
}

func (x *Index) project(id int64) *productProject {
	p := x.projects[id]
	if p == nil {
		p = &productProject{keyIDs: map[string]uint32{}, symIDs: map[symKey]uint32{}, labelIDs: map[string]uint32{}}
		x.projects[id] = p
	}
	return p
}

// keyID returns id's key, adding it. id is cloned: it may be a substring
// of a decode buffer.
func (p *productProject) keyID(id string) uint32 {
	if k, ok := p.keyIDs[id]; ok {
		return k
	}
	id = strings.Clone(id)
	k := uint32(len(p.keys))
	p.keyIDs[id] = k
	p.keys = append(p.keys, id)
	p.alias = append(p.alias, k)
	return k
}

// identify records that anon was seen with user: anon's person becomes
// the least user id seen with it.
func (p *productProject) identify(anon, user string) {
	a, u := p.keyID(anon), p.keyID(user)
	if cur := p.alias[a]; cur != u && (cur == a || p.keys[u] < p.keys[cur]) {
		p.alias[a] = u
		p.moved = append(p.moved, cur, u)
	}
}

func (p *productProject) symID(flags uint8, name, label string) uint32 {
	k := symKey{flags, name, label}
	if id, ok := p.symIDs[k]; ok {
		return id
	}
	l, ok := p.labelIDs[label]
	if !ok {
		l = uint32(len(p.labels))
		label = strings.Clone(label)
		p.labelIDs[label] = l
		p.labels = append(p.labels, label)
	}
	k.name, k.label = strings.Clone(name), p.labels[l]
	id := uint32(len(p.syms))
	p.symIDs[k] = id
	p.syms = append(p.syms, productSym{flags: flags, name: k.name, label: l})
	return id
}

func (p *productProject) addRow(ts int64, key, sym uint32) {
	p.seq = append(p.seq, uint32(len(p.ts)))
	p.ts = append(p.ts, ts)
	p.key = append(p.key, key)
	p.sym = append(p.sym, sym)
}

// skippedNames are pathSkipped's names.
var skippedNames = map[string]bool{"$identify": true, "$alias": true, "$create_alias": true, "$group": true,
	"$groupidentify": true, "$pageload": true, "$pageleave": true, "$set": true}

// productFlags classifies an event as stored (kind, level, name).
func productFlags(kind, level, name string) uint8 {
	var f uint8
	if kind == event.KindEvent || kind == event.KindPageview {
		f |= symProduct
	}
	if kind == event.KindError || level == event.LevelError || level == event.LevelFatal {
		f |= symError
	}
	if f != 0 && skippedNames[name] {
		f |= symSkipped
	}
	return f
}

// leftRunes is DuckDB's left(s, n).
func leftRunes(s string, n int) string {
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// eventLabel is pathLabel for an event as stored.
func eventLabel(e *event.Event, flags uint8, cleaned func(string) string) string {
	if flags&symError != 0 {
		switch {
		case e.ErrorType != "":
			return "error: " + cleaned(e.ErrorType)
		case e.Name != "":
			return "error: " + cleaned(e.Name)
		}
		return "error: " + leftRunes(cleaned(e.Message), 60)
	}
	if e.Kind == event.KindPageview && e.Name == "$pageview" {
		for _, a := range e.Attributes {
			if cleaned(a.Key) == "path" {
				if a.Value != "" {
					return cleaned(a.Value)
				}
				break
			}
		}
		if e.Endpoint != "" {
			return cleaned(e.Endpoint)
		}
	}
	return cleaned(e.Name)
}

// Add indexes a committed batch: its identity pairs and its product
// events and errors that have a person.
func (x *Index) Add(evs []event.Event) {
	if x == nil || len(evs) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	var p *productProject
	pid := int64(-1)
	defer func() {
		for _, p := range x.projects {
			p.maybeCompact()
		}
	}()
	for i := range evs {
		e := &evs[i]
		if e.UserID == "" && e.AnonymousID == "" {
			continue
		}
		if e.ProjectID != pid || p == nil {
			pid, p = e.ProjectID, x.project(e.ProjectID)
		}
		user, anon := x.clean(e.UserID), x.clean(e.AnonymousID)
		if user != "" && anon != "" {
			p.identify(anon, user)
		}
		name := x.clean(e.Name)
		f := productFlags(e.Kind, x.clean(e.Level), name)
		if f&(symProduct|symError) == 0 {
			continue
		}
		k := user
		if k == "" {
			k = anon
		}
		p.addRow(e.TS, p.keyID(k), p.symID(f, name, eventLabel(e, f, x.clean)))
	}
}

// Rows is the condition on the events table's rows the index holds (the
// store counts them to know whether a deletion needs a Load).
const Rows = hasPerson + ` AND (kind IN ('event', 'pageview', 'error') OR level IN ('error', 'fatal'))`

// Load rebuilds the index from the idents and events tables, read
// through ex (the store's Executor, in its Dialect), and returns how many
// rows it holds. The store calls it at open (before any Append) and after
// deletions.
func (x *Index) Load(ctx context.Context, ex sqlq.Executor) (int, error) {
	iq, rq, err := loadQueries(ex.Dialect())
	if err != nil {
		return 0, fmt.Errorf("load product index: %w", err)
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	x.projects = map[int64]*productProject{}
	if err := ex.Run(ctx, iq, func(row sqlq.Scanner) error {
		var (
			project    int64
			anon, user string
		)
		if err := row.Scan(&project, &anon, &user); err != nil {
			return err
		}
		x.project(project).identify(anon, user)
		return nil
	}); err != nil {
		return 0, fmt.Errorf("load product index identities: %w", err)
	}
	var (
		p   *productProject
		n   int
		pid = int64(-1)
	)
	if err := ex.Run(ctx, rq, func(row sqlq.Scanner) error {
		var (
			project, ts                   int64
			key, kind, level, name, label string
		)
		if err := row.Scan(&project, &ts, &key, &kind, &level, &name, &label); err != nil {
			return err
		}
		if project != pid || p == nil {
			pid, p = project, x.project(project)
		}
		f := productFlags(kind, level, name)
		p.addRow(ts, p.keyID(key), p.symID(f, name, label))
		n++
		return nil
	}); err != nil {
		return 0, fmt.Errorf("load product index: %w", err)
	}
	for _, p := range x.projects {
		p.compact()
	}
	return n, nil
}

// Compact clusters every project's rows by person now (as Add does from
// time to time).
func (x *Index) Compact() {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, p := range x.projects {
		p.compact()
	}
}

// Layout is how a project's rows lie: clustered by person, in all, and
// the persons whose keys moved since the clustering.
func (x *Index) Layout(project int64) (clustered, rows, moved int) {
	x.mu.RLock()
	defer x.mu.RUnlock()
	p := x.projects[project]
	if p == nil {
		return 0, 0, 0
	}
	return p.sealed, len(p.ts), len(p.moved)
}

// snapshot returns project's index for reading under x.mu's read lock
// (nil when the project has no rows); release unlocks.
func (x *Index) snapshot(project int64) (p *productProject, release func()) {
	if x == nil {
		return nil, func() {}
	}
	x.mu.RLock()
	return x.projects[project], x.mu.RUnlock
}

// person is key's person key.
func (p *productProject) person(k uint32) uint32 { return p.alias[k] }

// plainStep reports whether st needs no column the index lacks.
func plainStep(st store.Step) bool { return st.Where == nil || st.Where.Root == nil }

// stepSyms marks the symbols matching st.
func (p *productProject) stepSyms(st store.Step) []bool {
	m := make([]bool, len(p.syms))
	for i, sy := range p.syms {
		if st.Name == store.StepError {
			m[i] = sy.flags&symError != 0
		} else {
			m[i] = sy.flags&symProduct != 0 && sy.name == st.Name
		}
	}
	return m
}
