package patterns

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/pipeline"
)

// AttrKey is the attribute that carries a log row's pattern id, searchable
// as pattern_id:p1a2b3c4d5e6f.
const AttrKey = "pattern_id"

// stateFile is the name of the persisted templates inside the directory.
const stateFile = "templates.json"

// saveEvery is how often changed templates are written to disk. A crash
// loses at most this much template history; the ids themselves survive
// anyway, since they are derived from the first template of each group
// and the rows already carry them.
const saveEvery = 5 * time.Second

// Processor stamps log and error rows with their pattern id at ingest, one
// Miner per project, and keeps the templates in a file so that ids are
// stable across restarts. It is safe for concurrent use.
type Processor struct {
	dir  string
	cfg  Config
	log  *slog.Logger
	mu   sync.Mutex
	byPj map[int64]*Miner

	saveMu sync.Mutex // serialises writes of the file
	stop   chan struct{}
	done   chan struct{}
}

var _ pipeline.Processor = (*Processor)(nil)

// state is the persisted form.
type state struct {
	Version  int                `json:"version"`
	Projects map[string][]Group `json:"projects"`
}

// Open loads the templates kept in dir (creating it) and starts saving
// changes in the background until Close.
func Open(dir string, cfg Config, log *slog.Logger) (*Processor, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create patterns directory %q: %w", dir, err)
	}
	p := &Processor{dir: dir, cfg: cfg, log: log, byPj: map[int64]*Miner{}, stop: make(chan struct{}), done: make(chan struct{})}
	path := filepath.Join(dir, stateFile)
	b, err := os.ReadFile(path)
	switch {
	case os.IsNotExist(err):
	case err != nil:
		return nil, fmt.Errorf("read templates %q: %w", path, err)
	default:
		var st state
		if err := json.Unmarshal(b, &st); err != nil {
			return nil, fmt.Errorf("parse templates %q: %w", path, err)
		}
		for pj, groups := range st.Projects {
			id, err := strconv.ParseInt(pj, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("parse templates %q: bad project %q", path, pj)
			}
			m := NewMiner(cfg)
			for _, g := range groups {
				m.restore(g)
			}
			m.dirty = false
			p.byPj[id] = m
		}
	}
	go p.saver()
	return p, nil
}

func (p *Processor) saver() {
	defer close(p.done)
	t := time.NewTicker(saveEvery)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			if err := p.Save(); err != nil {
				p.log.Warn("save log templates", "err", err)
			}
		}
	}
}

// miner returns the project's miner, creating it.
func (p *Processor) miner(project int64) *Miner {
	p.mu.Lock()
	defer p.mu.Unlock()
	m := p.byPj[project]
	if m == nil {
		m = NewMiner(p.cfg)
		p.byPj[project] = m
	}
	return m
}

// Process gives every log and error row with a message its pattern id,
// unless it already has one (rows replayed or sent by another Lore).
func (p *Processor) Process(ctx context.Context, events []event.Event) ([]event.Event, error) {
	var m *Miner
	var mp int64
	for i := range events {
		e := &events[i]
		if e.Message == "" || (e.Kind != event.KindLog && e.Kind != event.KindError) {
			continue
		}
		if _, has := e.Attr(AttrKey); has {
			continue
		}
		if m == nil || mp != e.ProjectID {
			m, mp = p.miner(e.ProjectID), e.ProjectID
		}
		match := m.Add(e.Message, e.TS)
		e.Attributes = append(e.Attributes, event.Attr{Key: AttrKey, Value: match.ID})
	}
	return events, nil
}

// Groups returns the project's groups.
func (p *Processor) Groups(project int64) []Group {
	return p.miner(project).Groups()
}

// Group returns one group of the project.
func (p *Processor) Group(project int64, id string) (Group, bool) {
	return p.miner(project).Group(id)
}

// Save writes the templates when they changed since the last save,
// atomically (a temporary file renamed over the old one).
func (p *Processor) Save() error {
	p.saveMu.Lock()
	defer p.saveMu.Unlock()
	p.mu.Lock()
	miners := make(map[int64]*Miner, len(p.byPj))
	for id, m := range p.byPj {
		miners[id] = m
	}
	p.mu.Unlock()
	dirty := false
	st := state{Version: 1, Projects: map[string][]Group{}}
	for id, m := range miners {
		m.mu.Lock()
		dirty = dirty || m.dirty
		m.dirty = false
		m.mu.Unlock()
		st.Projects[strconv.FormatInt(id, 10)] = m.Groups()
	}
	if !dirty {
		return nil
	}
	b, err := json.Marshal(st)
	if err != nil {
		return fmt.Errorf("encode templates: %w", err)
	}
	path := filepath.Join(p.dir, stateFile)
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
	return p.Save()
}
