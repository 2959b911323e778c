package agent

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// fileState is what the agent remembers of one file across restarts.
// Offset is where the next unsent record starts: everything before it was
// acknowledged by Lore. Pending, when past Offset, is the end of a batch
// sent but not yet acknowledged: after a restart the same bytes are sent
// again under the same idempotency key, so Lore stores them once.
type fileState struct {
	Path    string `json:"path"`
	Offset  int64  `json:"offset"`
	Pending int64  `json:"pending,omitempty"`
}

// state is the agent's offsets file: one JSON document, replaced
// atomically (write, fsync, rename) on every change.
type state struct {
	mu      sync.Mutex
	path    string
	Agent   string                `json:"agent"` // this agent's id, in idempotency keys
	Files   map[string]*fileState `json:"files"` // by file identity (device:inode)
	Journal string                `json:"journal_cursor,omitempty"`
}

func loadState(dir string) (*state, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create state directory %q: %w", dir, err)
	}
	s := &state{path: filepath.Join(dir, "offsets.json"), Files: map[string]*fileState{}}
	b, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		s.Agent = newAgentID()
		return s, s.save()
	case err != nil:
		return nil, fmt.Errorf("read agent state: %w", err)
	}
	if err := json.Unmarshal(b, s); err != nil {
		return nil, fmt.Errorf("cannot parse agent state %q: %w", s.path, err)
	}
	if s.Files == nil {
		s.Files = map[string]*fileState{}
	}
	if s.Agent == "" {
		s.Agent = newAgentID()
	}
	return s, nil
}

// update changes the state under its lock and saves it.
func (s *state) update(f func()) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
	return s.saveLocked()
}

func (s *state) save() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.saveLocked()
}

func (s *state) saveLocked() error {
	b, err := json.Marshal(s)
	if err != nil {
		return err
	}
	tmp := s.path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("save agent state: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("save agent state: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("save agent state: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("save agent state: %w", err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("save agent state: %w", err)
	}
	return nil
}
