package patterns

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/ingest"
)

// AttrKey is the attribute that carries a log row's pattern id, searchable
// as pattern_id:p1a2b3c4d5e6f.
const AttrKey = "pattern_id"

// streamsDir holds one file per stream; legacyFile is the one file of
// every project's templates that Lore kept before miners were per stream.
const (
	streamsDir = "streams"
	legacyFile = "templates.json"
)

// saveEvery is how often changed streams are written to disk. A crash
// loses at most this much template history; the ids themselves survive
// anyway, since they are derived from the stream and the first template of
// each group and the rows already carry them.
const saveEvery = 5 * time.Second

// Stream names one miner: a project's service. Each service's logs are
// mined apart, so one service's templates (or its flood of unique
// messages) never crowd out another's.
type Stream struct {
	Project int64  `json:"project"`
	Service string `json:"service"`
}

// Limits bound every miner of a server together. A stream alone is bounded
// by Config.MaxGroups and Config.MaxBytes.
type Limits struct {
	MaxGroups  int // groups across every stream
	MaxBytes   int // approximate bytes across every stream
	MaxStreams int // streams (miners) held at once
}

// DefaultLimits holds about 100 MB of templates at most.
var DefaultLimits = Limits{MaxGroups: 200_000, MaxBytes: 96 << 20, MaxStreams: 10_000}

// Processor stamps log and error rows with their pattern id at ingest, one
// Miner per Stream, and keeps the templates on disk so that ids are stable
// across restarts. Past Limits it forgets least recently seen groups of
// the largest streams first, and least recently used streams. It is safe
// for concurrent use.
type Processor struct {
	dir    string
	cfg    Config
	limits Limits
	log    *slog.Logger

	mu      sync.RWMutex
	streams map[Stream]*stream
	// byTag finds a project's streams from the service tag inside a
	// pattern id (see Miner.newID).
	byTag  map[int64]map[uint16][]*stream
	legacy map[int64]map[string]Group // templates of the one-file era, read-only

	groups, bytes atomic.Int64 // across every miner
	clock         atomic.Int64 // ticks of Process, for stream recency

	saveMu sync.Mutex // serialises writes of the files
	stop   chan struct{}
	done   chan struct{}

	// registry, when set (UseRegistry), shares the ids with other nodes.
	registry  Registry
	syncMu    sync.Mutex    // serialises Sync
	learnedAt int64         // the latest claim learned, µs by the registry's clock; under syncMu
	mergedAt  int64         // the latest merge learned, likewise
	syncDone  chan struct{} // closed when the syncer stops
}

// stream is one miner and what the processor knows of it.
type stream struct {
	Stream
	miner    *Miner
	lastUsed atomic.Int64
	file     string
}

var _ ingest.Processor = (*Processor)(nil)

// streamState is the persisted form of one stream.
type streamState struct {
	Version int    `json:"version"`
	Stream  Stream `json:"stream"`
	// Groups, least recently seen first.
	Groups []Group `json:"groups"`
}

// legacyState is the one-file form: every project's groups.
type legacyState struct {
	Version  int                `json:"version"`
	Projects map[string][]Group `json:"projects"`
}

// Open loads the templates kept in dir (creating it) with DefaultLimits
// and starts saving changes in the background until Close.
func Open(dir string, cfg Config, log *slog.Logger) (*Processor, error) {
	return OpenLimits(dir, cfg, DefaultLimits, log)
}

// OpenLimits is Open with explicit server-wide limits.
func OpenLimits(dir string, cfg Config, limits Limits, log *slog.Logger) (*Processor, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if limits.MaxGroups <= 0 {
		limits.MaxGroups = DefaultLimits.MaxGroups
	}
	if limits.MaxBytes <= 0 {
		limits.MaxBytes = DefaultLimits.MaxBytes
	}
	if limits.MaxStreams <= 0 {
		limits.MaxStreams = DefaultLimits.MaxStreams
	}
	if err := os.MkdirAll(filepath.Join(dir, streamsDir), 0o755); err != nil {
		return nil, fmt.Errorf("create patterns directory %q: %w", dir, err)
	}
	p := &Processor{
		dir: dir, cfg: cfg.withDefaults(), limits: limits, log: log,
		streams: map[Stream]*stream{}, byTag: map[int64]map[uint16][]*stream{}, legacy: map[int64]map[string]Group{},
		stop: make(chan struct{}), done: make(chan struct{}),
	}
	if err := p.loadLegacy(); err != nil {
		return nil, err
	}
	if err := p.loadStreams(); err != nil {
		return nil, err
	}
	go p.saver()
	return p, nil
}

// loadLegacy reads the one-file templates of earlier versions: their ids
// stay resolvable (rows carry them), but new lines are mined per stream.
func (p *Processor) loadLegacy() error {
	path := filepath.Join(p.dir, legacyFile)
	b, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
		return nil
	case err != nil:
		return fmt.Errorf("read templates %q: %w", path, err)
	}
	var st legacyState
	if err := json.Unmarshal(b, &st); err != nil {
		return fmt.Errorf("parse templates %q: %w", path, err)
	}
	for pj, groups := range st.Projects {
		var id int64
		if _, err := fmt.Sscan(pj, &id); err != nil {
			return fmt.Errorf("parse templates %q: bad project %q", path, pj)
		}
		m := map[string]Group{}
		for _, g := range groups {
			m[g.ID] = g
		}
		p.legacy[id] = m
	}
	return nil
}

// loadStreams reads every stream file. A file that cannot be read or
// parsed is logged and set aside (renamed *.bad), not fatal: its ids were
// derived from the templates and come back as the lines recur.
func (p *Processor) loadStreams() error {
	dir := filepath.Join(p.dir, streamsDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("read patterns directory %q: %w", dir, err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".json") {
			continue
		}
		path := filepath.Join(dir, e.Name())
		var st streamState
		b, err := os.ReadFile(path)
		if err == nil {
			err = json.Unmarshal(b, &st)
		}
		if err != nil {
			p.log.Warn("set aside unreadable log templates", "file", path, "err", err)
			_ = os.Rename(path, path+".bad")
			continue
		}
		s := p.stream(st.Stream)
		for i := range st.Groups {
			s.miner.restore(st.Groups[i])
		}
		s.miner.relink()
		s.miner.mu.Lock()
		s.miner.dirty = false
		s.miner.mu.Unlock()
	}
	p.enforce()
	return nil
}

func (p *Processor) saver() {
	defer close(p.done)
	p.every(saveEvery, "save log templates", func() error { return p.Save() })
}

// every runs f every d until Close, logging its errors as what.
func (p *Processor) every(d time.Duration, what string, f func() error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if err := f(); err != nil {
				p.log.Warn(what, "err", err)
			}
		}
	}
}

// serviceTag is the 16 bits of a pattern id that name its stream's
// service (see Miner.newID).
func serviceTag(service string) uint16 {
	h := fnv.New32a()
	h.Write([]byte(service))
	s := h.Sum32()
	return uint16(s ^ s>>16)
}

// stream returns the stream's miner, creating it.
func (p *Processor) stream(key Stream) *stream {
	p.mu.RLock()
	s := p.streams[key]
	p.mu.RUnlock()
	if s != nil {
		s.lastUsed.Store(p.clock.Load())
		return s
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s = p.streams[key]; s != nil {
		return s
	}
	if len(p.streams) >= p.limits.MaxStreams {
		p.dropLeastUsedLocked()
	}
	key.Service = strings.Clone(key.Service)
	tag := serviceTag(key.Service)
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s", key.Project, key.Service)
	s = &stream{Stream: key, file: fmt.Sprintf("%d-%016x.json", key.Project, h.Sum64())}
	s.miner = newMiner(p.cfg, tag)
	s.miner.budget = &p.groups
	s.miner.budgetBytes = &p.bytes
	s.miner.claiming = p.registry != nil
	s.lastUsed.Store(p.clock.Load())
	p.streams[key] = s
	if p.byTag[key.Project] == nil {
		p.byTag[key.Project] = map[uint16][]*stream{}
	}
	p.byTag[key.Project][tag] = append(p.byTag[key.Project][tag], s)
	return s
}

// dropLeastUsedLocked forgets the stream used longest ago (its file too).
func (p *Processor) dropLeastUsedLocked() {
	var victim *stream
	for _, s := range p.streams {
		if victim == nil || s.lastUsed.Load() < victim.lastUsed.Load() {
			victim = s
		}
	}
	if victim == nil {
		return
	}
	p.removeLocked(victim)
}

func (p *Processor) removeLocked(s *stream) {
	delete(p.streams, s.Stream)
	tags := p.byTag[s.Project]
	tag := s.miner.tag
	for i, x := range tags[tag] {
		if x == s {
			tags[tag] = append(tags[tag][:i], tags[tag][i+1:]...)
			break
		}
	}
	if len(tags[tag]) == 0 {
		delete(tags, tag)
	}
	s.miner.clear()
	if err := os.Remove(filepath.Join(p.dir, streamsDir, s.file)); err != nil && !os.IsNotExist(err) {
		p.log.Warn("remove log templates", "file", s.file, "err", err)
	}
}

// Process gives every log and error row with a message its pattern id,
// and failed spans with a message (their error events, made later by the
// issue tracker, keep it), unless it already has one (rows replayed or
// sent by another Lore).
func (p *Processor) Process(ctx context.Context, events []event.Event) ([]event.Event, error) {
	p.clock.Add(1)
	var s *stream
	for i := range events {
		e := &events[i]
		if e.Message == "" || !mined(e) {
			continue
		}
		if _, has := e.Attr(AttrKey); has {
			continue
		}
		if s == nil || s.Project != e.ProjectID || s.Service != e.Service {
			s = p.stream(Stream{Project: e.ProjectID, Service: e.Service})
		}
		match := s.miner.Add(e.Message, e.TS)
		e.Attributes = append(e.Attributes, event.Attr{Key: AttrKey, Value: match.ID})
	}
	p.enforce()
	return events, nil
}

// mined reports whether a row's message is mined: logs, errors and
// failed spans.
func mined(e *event.Event) bool {
	switch e.Kind {
	case event.KindLog, event.KindError:
		return true
	case event.KindSpan:
		return e.ErrorType != "" || e.Level == event.LevelError || e.Level == event.LevelFatal
	}
	return false
}

// enforce forgets groups while the server is over its limits: the least
// recently seen group of the stream holding the most, so that one noisy
// stream pays for its own flood.
func (p *Processor) enforce() {
	for p.groups.Load() > int64(p.limits.MaxGroups) || p.bytes.Load() > int64(p.limits.MaxBytes) {
		p.mu.RLock()
		var big *stream
		bigLen := 0
		for _, s := range p.streams {
			if n := s.miner.Len(); n > bigLen {
				big, bigLen = s, n
			}
		}
		p.mu.RUnlock()
		if big == nil || !big.miner.evictOldest() {
			return
		}
	}
}

// Groups returns the groups of every stream of the project.
func (p *Processor) Groups(project int64) []Group {
	p.mu.RLock()
	var ss []*stream
	for _, s := range p.streams {
		if s.Project == project {
			ss = append(ss, s)
		}
	}
	p.mu.RUnlock()
	var out []Group
	for _, s := range ss {
		out = append(out, s.miner.Groups()...)
	}
	return out
}

// StreamGroups returns the groups of one stream.
func (p *Processor) StreamGroups(key Stream) []Group {
	p.mu.RLock()
	s := p.streams[key]
	p.mu.RUnlock()
	if s == nil {
		return nil
	}
	return s.miner.Groups()
}

// Group returns the project's group with the given id. An id folded into
// another group (see Miner) returns that group, whose ID differs.
func (p *Processor) Group(project int64, id string) (Group, bool) {
	if tag, ok := idTag(id); ok {
		p.mu.RLock()
		ss := append([]*stream(nil), p.byTag[project][tag]...)
		p.mu.RUnlock()
		for _, s := range ss {
			if g, ok := s.miner.Group(id); ok {
				return g, true
			}
		}
	}
	p.mu.RLock()
	g, ok := p.legacy[project][id]
	p.mu.RUnlock()
	return g, ok
}

// Canonical returns the id that a pattern id of the project counts for
// now: itself, or the group it was folded into.
func (p *Processor) Canonical(project int64, id string) string {
	if g, ok := p.Group(project, id); ok {
		return g.ID
	}
	return id
}

// Family returns the first group of the family of one of the project's
// pattern ids (see Miner.Family): stable while variants fold.
func (p *Processor) Family(project int64, id string) string {
	if tag, ok := idTag(id); ok {
		p.mu.RLock()
		ss := append([]*stream(nil), p.byTag[project][tag]...)
		p.mu.RUnlock()
		for _, s := range ss {
			if f := s.miner.Family(id); f != id {
				return f
			}
			if _, ok := s.miner.Group(id); ok {
				return id
			}
		}
	}
	return id
}

// idTag reads the service tag out of a pattern id.
func idTag(id string) (uint16, bool) {
	if len(id) != 13 || id[0] != 'p' {
		return 0, false
	}
	var tag uint16
	for i := 1; i < 5; i++ {
		c := id[i]
		var v byte
		switch {
		case c >= '0' && c <= '9':
			v = c - '0'
		case c >= 'a' && c <= 'f':
			v = c - 'a' + 10
		default:
			return 0, false
		}
		tag = tag<<4 | uint16(v)
	}
	return tag, true
}

// Save writes the streams whose templates changed since the last save,
// each atomically (a temporary file renamed over the old one).
func (p *Processor) Save() error {
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	p.mu.RLock()
	ss := make([]*stream, 0, len(p.streams))
	for _, s := range p.streams {
		ss = append(ss, s)
	}
	p.mu.RUnlock()
	var errs []error
	for _, s := range ss {
		st, dirty := s.miner.snapshot()
		if !dirty {
			continue
		}
		st.Stream = s.Stream
		if err := p.write(s.file, st); err != nil {
			s.miner.markDirty()
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("save log templates: %w (and %d more)", errs[0], len(errs)-1)
	}
	return nil
}

func (p *Processor) write(name string, st streamState) error {
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode templates: %w", err)
	}
	path := filepath.Join(p.dir, streamsDir, name)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write templates %q: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("replace templates %q: %w", path, err)
	}
	return nil
}

// Close stops the background saver and saves a last time.
func (p *Processor) Close(ctx context.Context) error {
	select {
	case <-p.stop:
		return nil
	default:
	}
	close(p.stop)
	select {
	case <-p.done:
	case <-ctx.Done():
		return fmt.Errorf("close patterns: %w", ctx.Err())
	}
	if p.syncDone != nil {
		select {
		case <-p.syncDone:
		case <-ctx.Done():
			return fmt.Errorf("close patterns: %w", ctx.Err())
		}
		if err := p.Sync(ctx); err != nil {
			p.log.Warn("share log pattern ids", "err", err)
		}
	}
	return p.Save()
}
