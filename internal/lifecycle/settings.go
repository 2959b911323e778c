// Package lifecycle is the data's lifecycle after ingest: the projects'
// lifecycle settings (privacy, retention, sampling) as one service the
// settings API uses, retention that deletes whole days and gives the disk
// back, and backups.
package lifecycle

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/lore-dev/lore/internal/errs"
	"github.com/lore-dev/lore/internal/privacy"
)

// Store keeps the projects' named settings documents (*meta.Store).
type Store interface {
	ProjectSettings(ctx context.Context, project int64, name string) (json.RawMessage, error)
	SetProjectSettings(ctx context.Context, project int64, name string, doc json.RawMessage) error
}

// Validator is a settings document that can check itself.
type Validator interface{ Validate() error }

// Section is one named settings document: how to read, merge and check it,
// and who to tell when it changes.
type Section struct {
	name  string
	read  func(stored []byte) (any, error)
	merge func(stored, body []byte) (any, error)
	// changed is told the project whose settings changed (caches drop
	// them); may be nil.
	changed func(project int64)
}

// NewSection describes the settings document called name, of type T
// (whose zero value is the default); changed, when not nil, is told of
// every change.
func NewSection[T Validator](name string, changed func(project int64)) Section {
	read := func(stored []byte) (T, error) {
		var t T
		if len(bytes.TrimSpace(stored)) > 0 {
			if err := json.Unmarshal(stored, &t); err != nil {
				return t, fmt.Errorf("read stored %s settings: %w", name, err)
			}
		}
		return t, nil
	}
	return Section{
		name: name,
		read: func(stored []byte) (any, error) { return read(stored) },
		merge: func(stored, body []byte) (any, error) {
			t, err := read(stored)
			if err != nil {
				return nil, err
			}
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&t); err != nil {
				return nil, errs.New(errs.Invalid, "%s settings: cannot parse JSON body: %v", name, err)
			}
			if err := t.Validate(); err != nil {
				return nil, errs.New(errs.Invalid, "%s settings: %v", name, err)
			}
			return t, nil
		},
		changed: changed,
	}
}

// Service reads and changes the projects' lifecycle settings.
type Service struct {
	store    Store
	sections map[string]Section
}

// NewService builds a Service over the sections.
func NewService(st Store, sections ...Section) *Service {
	s := &Service{store: st, sections: map[string]Section{}}
	for _, sec := range sections {
		s.sections[sec.name] = sec
	}
	return s
}

// Names lists the sections' names.
func (s *Service) Names() []string {
	var out []string
	for n := range s.sections {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func (s *Service) section(name string) (Section, error) {
	sec, ok := s.sections[name]
	if !ok {
		return Section{}, errs.New(errs.NotFound, "no settings called %q (there are %v)", name, s.Names())
	}
	return sec, nil
}

// Settings returns a project's settings called name, defaults filled in.
func (s *Service) Settings(ctx context.Context, project int64, name string) (any, error) {
	sec, err := s.section(name)
	if err != nil {
		return nil, err
	}
	doc, err := s.store.ProjectSettings(ctx, project, name)
	if err != nil {
		return nil, err
	}
	return sec.read(doc)
}

// SetSettings changes the fields of a project's settings called name that
// body names, keeping the others, and returns the result. A bad body is
// errs.Invalid, quoting what is wrong.
func (s *Service) SetSettings(ctx context.Context, project int64, name string, body []byte) (any, error) {
	sec, err := s.section(name)
	if err != nil {
		return nil, err
	}
	doc, err := s.store.ProjectSettings(ctx, project, name)
	if err != nil {
		return nil, err
	}
	v, err := sec.merge(doc, body)
	if err != nil {
		return nil, err
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode %s settings: %w", name, err)
	}
	if err := s.store.SetProjectSettings(ctx, project, name, out); err != nil {
		return nil, err
	}
	if sec.changed != nil {
		sec.changed(project)
	}
	return v, nil
}

// Describe tells, in words for the Settings page, a project's retention
// and what is scrubbed at ingest.
func (s *Service) Describe(ctx context.Context, project int64) (retention string, rules []string, err error) {
	if _, ok := s.sections[RetentionName]; ok {
		v, err := s.Settings(ctx, project, RetentionName)
		if err != nil {
			return "", nil, err
		}
		if r, ok := v.(Retention); ok {
			r = r.withDefaults()
			retention = fmt.Sprintf("logs %d days, spans %d, errors %d, product events %d, checks %d; whole days are deleted",
				r.LogsDays, r.SpansDays, r.ErrorsDays, r.EventsDays, r.ChecksDays)
		}
	}
	if _, ok := s.sections[privacy.SettingsName]; ok {
		v, err := s.Settings(ctx, project, privacy.SettingsName)
		if err != nil {
			return "", nil, err
		}
		if p, ok := v.(privacy.Settings); ok {
			rules = p.Describe()
		}
	}
	return retention, rules, nil
}
