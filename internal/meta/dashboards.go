package meta

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/analysis/pipes"
	"github.com/lore-dev/lore/internal/errs"
)

// Panel kinds: the charts a dashboard can hold, each drawn by the UI with
// the chart of its page and read from the API that page uses.
const (
	PanelHistogram = "histogram" // GET /api/v1/histogram: query, params.by
	PanelFacet     = "facet"     // GET /api/v1/facets: query, params.field
	PanelTrend     = "trend"     // POST /api/v1/trends: params (event, measure, interval, …)
	PanelFunnel    = "funnel"    // POST /api/v1/funnels: params.steps, params.window
	PanelRetention = "retention" // POST /api/v1/retention: params.start_event, return_event, period
	PanelQuery     = "query"     // GET /api/v1/query: query, a pipeline that aggregates (a table and its chart)
)

// PanelKinds lists the valid panel kinds.
var PanelKinds = []string{PanelHistogram, PanelFacet, PanelTrend, PanelFunnel, PanelRetention, PanelQuery}

// ErrNotFound is returned for a dashboard or saved search that does not
// exist in the project.
var ErrNotFound = errs.New(errs.NotFound, "not found")

// Panel is one chart of a dashboard.
type Panel struct {
	Title  string         `json:"title" yaml:"title"`
	Kind   string         `json:"kind" yaml:"kind"`
	Query  string         `json:"query,omitempty" yaml:"query,omitempty"` // a search, for histogram and facet; a pipeline for query
	Params map[string]any `json:"params,omitempty" yaml:"params,omitempty"`
	// From and To override the dashboard's range for this panel.
	From string `json:"from,omitempty" yaml:"from,omitempty"`
	To   string `json:"to,omitempty" yaml:"to,omitempty"`
}

// Dashboard is a named list of panels. ID and the times are the server's;
// YAML exports leave them out so files stay stable in version control.
type Dashboard struct {
	ID          int64   `json:"id" yaml:"-"`
	Name        string  `json:"name" yaml:"name"`
	Description string  `json:"description,omitempty" yaml:"description,omitempty"`
	From        string  `json:"from,omitempty" yaml:"from,omitempty"` // default range, e.g. now-24h
	Panels      []Panel `json:"panels" yaml:"panels"`
	CreatedAt   string  `json:"created_at,omitempty" yaml:"-"`
	UpdatedAt   string  `json:"updated_at,omitempty" yaml:"-"`
}

// SavedSearch is a named search of the Explore page.
type SavedSearch struct {
	ID          int64  `json:"id" yaml:"-"`
	Name        string `json:"name" yaml:"name"`
	Query       string `json:"query" yaml:"query"`
	Description string `json:"description,omitempty" yaml:"description,omitempty"`
	From        string `json:"from,omitempty" yaml:"from,omitempty"`
	To          string `json:"to,omitempty" yaml:"to,omitempty"`
	CreatedAt   string `json:"created_at,omitempty" yaml:"-"`
	UpdatedAt   string `json:"updated_at,omitempty" yaml:"-"`
}

// Validate checks what the UI needs to draw a dashboard: a name and, for
// each panel, a known kind and the parameters of that kind.
func (d *Dashboard) Validate() error {
	d.Name = strings.TrimSpace(d.Name)
	if d.Name == "" {
		return errors.New("a dashboard needs a name")
	}
	for i := range d.Panels {
		p := &d.Panels[i]
		if err := p.validate(); err != nil {
			return fmt.Errorf("panel %d (%q): %w", i+1, p.Title, err)
		}
	}
	if d.Panels == nil {
		d.Panels = []Panel{}
	}
	return nil
}

func (p *Panel) validate() error {
	str := func(k string) string { s, _ := p.Params[k].(string); return strings.TrimSpace(s) }
	switch p.Kind {
	case PanelHistogram:
	case PanelFacet:
		if str("field") == "" {
			return errors.New(`a facet panel needs params.field (e.g. "service")`)
		}
	case PanelTrend:
		if str("event") == "" {
			return errors.New("a trend panel needs params.event")
		}
	case PanelFunnel:
		steps, _ := p.Params["steps"].([]any)
		if len(steps) < 2 {
			return errors.New("a funnel panel needs params.steps: two steps or more, each {event: NAME}")
		}
	case PanelRetention:
		if str("start_event") == "" || str("return_event") == "" {
			return errors.New("a retention panel needs params.start_event and params.return_event")
		}
	case PanelQuery:
		p.Query = strings.TrimSpace(p.Query)
		pl, err := pipes.Parse(p.Query)
		if err != nil {
			return fmt.Errorf("bad query %q: %w", p.Query, err)
		}
		if !pl.Aggregates() {
			return fmt.Errorf("a query panel needs a pipeline that aggregates (stats, timechart, top or rare), got %q", p.Query)
		}
	default:
		return fmt.Errorf("unknown panel kind %q (want one of %s)", p.Kind, strings.Join(PanelKinds, ", "))
	}
	if p.Title == "" {
		p.Title = p.Kind
	}
	return nil
}

// Validate checks a saved search has a name.
func (s *SavedSearch) Validate() error {
	s.Name = strings.TrimSpace(s.Name)
	if s.Name == "" {
		return errors.New("a saved search needs a name")
	}
	return nil
}

// docTable is one of the two tables of named JSON documents.
type docTable string

const (
	dashboardsTable docTable = "dashboards"
	searchesTable   docTable = "saved_searches"
)

// doc is a stored row: the document's JSON body and its bookkeeping.
type doc struct {
	id               int64
	body             []byte
	created, updated int64
}

func (s *Store) listDocs(ctx context.Context, t docTable, project int64) ([]doc, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, body, created_at, updated_at FROM `+string(t)+` WHERE project_id = ? ORDER BY name`, project)
	if err != nil {
		return nil, fmt.Errorf("list %s of project %d: %w", t, project, err)
	}
	defer rows.Close()
	var out []doc
	for rows.Next() {
		var d doc
		if err := rows.Scan(&d.id, &d.body, &d.created, &d.updated); err != nil {
			return nil, fmt.Errorf("list %s of project %d: %w", t, project, err)
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (s *Store) getDoc(ctx context.Context, t docTable, project, id int64) (doc, error) {
	d := doc{id: id}
	err := s.db.QueryRowContext(ctx, `SELECT body, created_at, updated_at FROM `+string(t)+` WHERE project_id = ? AND id = ?`, project, id).
		Scan(&d.body, &d.created, &d.updated)
	if errors.Is(err, sql.ErrNoRows) {
		return d, fmt.Errorf("%s %d: %w", strings.TrimSuffix(string(t), "s"), id, ErrNotFound)
	}
	if err != nil {
		return d, fmt.Errorf("read %s %d: %w", t, id, err)
	}
	return d, nil
}

// putDoc inserts (id 0), replaces (id set) or, with byName, upserts by
// name; it returns the row's id.
func (s *Store) putDoc(ctx context.Context, t docTable, project, id int64, name string, v any, byName bool) (int64, error) {
	body, err := json.Marshal(v)
	if err != nil {
		return 0, fmt.Errorf("encode %s %q: %w", t, name, err)
	}
	now := time.Now().Unix()
	var res sql.Result
	switch {
	case id != 0:
		res, err = s.db.ExecContext(ctx, `UPDATE `+string(t)+` SET name = ?, body = ?, updated_at = ? WHERE project_id = ? AND id = ?`,
			name, string(body), now, project, id)
		if err == nil {
			if n, _ := res.RowsAffected(); n == 0 {
				return 0, fmt.Errorf("%s %d: %w", strings.TrimSuffix(string(t), "s"), id, ErrNotFound)
			}
		}
	case byName:
		err = s.db.QueryRowContext(ctx, `INSERT INTO `+string(t)+` (project_id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (project_id, name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at RETURNING id`,
			project, name, string(body), now, now).Scan(&id)
	default:
		err = s.db.QueryRowContext(ctx, `INSERT INTO `+string(t)+` (project_id, name, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			project, name, string(body), now, now).Scan(&id)
	}
	if err != nil {
		if isUniqueViolation(err) {
			return 0, fmt.Errorf("%w: a %s named %q exists already", ErrNameTaken, strings.TrimSuffix(string(t), "s"), name)
		}
		return 0, fmt.Errorf("store %s %q: %w", t, name, err)
	}
	return id, nil
}

// ErrNameTaken is returned when a create or rename collides with another
// dashboard or saved search of the same name.
var ErrNameTaken = errs.New(errs.Conflict, "name taken")

func (s *Store) deleteDoc(ctx context.Context, t docTable, project, id int64) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM `+string(t)+` WHERE project_id = ? AND id = ?`, project, id)
	if err != nil {
		return fmt.Errorf("delete %s %d: %w", t, id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s %d: %w", strings.TrimSuffix(string(t), "s"), id, ErrNotFound)
	}
	return nil
}

func unixTime(s int64) string { return time.Unix(s, 0).UTC().Format(time.RFC3339) }

func decodeDashboard(d doc) (Dashboard, error) {
	var out Dashboard
	if err := json.Unmarshal(d.body, &out); err != nil {
		return out, fmt.Errorf("decode dashboard %d: %w", d.id, err)
	}
	out.ID, out.CreatedAt, out.UpdatedAt = d.id, unixTime(d.created), unixTime(d.updated)
	if out.Panels == nil {
		out.Panels = []Panel{}
	}
	return out, nil
}

func decodeSearch(d doc) (SavedSearch, error) {
	var out SavedSearch
	if err := json.Unmarshal(d.body, &out); err != nil {
		return out, fmt.Errorf("decode saved search %d: %w", d.id, err)
	}
	out.ID, out.CreatedAt, out.UpdatedAt = d.id, unixTime(d.created), unixTime(d.updated)
	return out, nil
}

// listDecoded lists a table's documents of a project, decoded.
func listDecoded[T any](ctx context.Context, s *Store, t docTable, project int64, decode func(doc) (T, error)) ([]T, error) {
	docs, err := s.listDocs(ctx, t, project)
	if err != nil {
		return nil, err
	}
	out := make([]T, 0, len(docs))
	for _, d := range docs {
		v, err := decode(d)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// Dashboards lists a project's dashboards by name.
func (s *Store) Dashboards(ctx context.Context, project int64) ([]Dashboard, error) {
	return listDecoded(ctx, s, dashboardsTable, project, decodeDashboard)
}

// Dashboard returns one dashboard, or ErrNotFound.
func (s *Store) Dashboard(ctx context.Context, project, id int64) (Dashboard, error) {
	d, err := s.getDoc(ctx, dashboardsTable, project, id)
	if err != nil {
		return Dashboard{}, err
	}
	return decodeDashboard(d)
}

// SaveDashboard validates and stores a dashboard: a new one when d.ID is
// 0 (unless upsert, which replaces the dashboard of the same name, as
// imports do), else it replaces dashboard d.ID. It returns the stored
// dashboard.
func (s *Store) SaveDashboard(ctx context.Context, project int64, d Dashboard, upsert bool) (Dashboard, error) {
	if err := d.Validate(); err != nil {
		return Dashboard{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	body := d
	body.ID, body.CreatedAt, body.UpdatedAt = 0, "", ""
	id, err := s.putDoc(ctx, dashboardsTable, project, d.ID, d.Name, body, upsert && d.ID == 0)
	if err != nil {
		return Dashboard{}, err
	}
	return s.Dashboard(ctx, project, id)
}

// DeleteDashboard deletes a dashboard, or returns ErrNotFound.
func (s *Store) DeleteDashboard(ctx context.Context, project, id int64) error {
	return s.deleteDoc(ctx, dashboardsTable, project, id)
}

// SavedSearches lists a project's saved searches by name.
func (s *Store) SavedSearches(ctx context.Context, project int64) ([]SavedSearch, error) {
	return listDecoded(ctx, s, searchesTable, project, decodeSearch)
}

// SavedSearch returns one saved search, or ErrNotFound.
func (s *Store) SavedSearch(ctx context.Context, project, id int64) (SavedSearch, error) {
	d, err := s.getDoc(ctx, searchesTable, project, id)
	if err != nil {
		return SavedSearch{}, err
	}
	return decodeSearch(d)
}

// SaveSearch stores a saved search, as SaveDashboard does a dashboard.
func (s *Store) SaveSearch(ctx context.Context, project int64, ss SavedSearch, upsert bool) (SavedSearch, error) {
	if err := ss.Validate(); err != nil {
		return SavedSearch{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	body := ss
	body.ID, body.CreatedAt, body.UpdatedAt = 0, "", ""
	id, err := s.putDoc(ctx, searchesTable, project, ss.ID, ss.Name, body, upsert && ss.ID == 0)
	if err != nil {
		return SavedSearch{}, err
	}
	return s.SavedSearch(ctx, project, id)
}

// DeleteSearch deletes a saved search, or returns ErrNotFound.
func (s *Store) DeleteSearch(ctx context.Context, project, id int64) error {
	return s.deleteDoc(ctx, searchesTable, project, id)
}

// ErrInvalid wraps the reason a dashboard or saved search was refused.
var ErrInvalid = errs.New(errs.Invalid, "invalid")
