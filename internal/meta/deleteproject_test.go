package meta

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lore-dev/lore/internal/errs"
)

// TestDeleteProject, on both engines: a project's keys stop working, and
// no row of it is left in any table with a project_id (but store_changes
// and deleted_projects), while another project's rows all stay; a wrong
// name and the default project are refused, deleting nothing; the next
// project made gets an id above the deleted one's.
func TestDeleteProject(t *testing.T) {
	engines(t, func(t *testing.T, where string) {
		ctx := context.Background()
		s, err := Open(ctx, where)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		if _, err := s.EnsureDefaultProject(ctx, "", ""); err != nil {
			t.Fatal(err)
		}
		u, err := s.AddUser(ctx, "ann@example.com", "", false)
		if err != nil {
			t.Fatal(err)
		}
		var keys [2]string
		for i, name := range []string{"shop", "blog"} {
			p, err := s.CreateProject(ctx, name)
			if err != nil {
				t.Fatal(err)
			}
			keys[i] = p.IngestKey
			steps := []error{
				s.SetMember(ctx, p.ID, u.ID, RoleAdmin),
				s.Audit(ctx, AuditEntry{ProjectID: p.ID, Actor: "user:ann", Action: "PUT /api/v1/origins"}),
				s.SetProjectSettings(ctx, p.ID, "retention", []byte(`{"logs_days":7}`)),
				s.SetCaptureSettings(ctx, p.ID, []byte(`{}`)),
				s.PutSourceMapFile(ctx, p.ID, "1.0", "app.js.map", []byte("{}")),
			}
			_, err = s.SetAllowedOrigins(ctx, p.ID, []string{"https://" + name + ".example.com"})
			steps = append(steps, err)
			_, err = s.SaveDashboard(ctx, p.ID, Dashboard{Name: "orders"}, false)
			steps = append(steps, err)
			_, err = s.RecordErasure(ctx, p.ID, "bob", nil, nil)
			steps = append(steps, err)
			if err := errors.Join(steps...); err != nil {
				t.Fatal(err)
			}
		}
		counts := func(project int64) map[string]int64 {
			q := `SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = 'table' AND c.name = 'project_id'`
			if s.db.e == postgresEngine {
				q = `SELECT table_name FROM information_schema.columns WHERE table_schema = current_schema() AND column_name = 'project_id'`
			}
			rows, err := s.db.QueryContext(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var tables []string
			for rows.Next() {
				var n string
				rows.Scan(&n)
				if n != "store_changes" && n != "deleted_projects" {
					tables = append(tables, n)
				}
			}
			rows.Close()
			if len(tables) < 20 {
				t.Fatalf("only %d tables with a project_id: %v", len(tables), tables)
			}
			out := map[string]int64{}
			for _, tb := range tables {
				var n int64
				if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM `+tb+` WHERE project_id = ?`, project).Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n > 0 {
					out[tb] = n
				}
			}
			return out
		}
		before := counts(3)
		if len(before) < 8 {
			t.Fatalf("project 3's rows before: %v", before)
		}

		if _, err := s.DeleteProject(ctx, 2, "blog"); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), `"blog"`) || !strings.Contains(err.Error(), `"shop"`) {
			t.Errorf("deleting project 2 named wrong: %v", err)
		}
		if _, err := s.DeleteProject(ctx, 1, "default"); !errs.Is(err, errs.Conflict) {
			t.Errorf("deleting the default project: %v", err)
		}
		if _, err := s.DeleteProject(ctx, 9, "x"); !errors.Is(err, ErrNotFound) {
			t.Errorf("deleting no project: %v", err)
		}
		if _, err := s.Authenticate(ctx, keys[0]); err != nil {
			t.Fatalf("project 2's key after the refusals: %v", err)
		}
		p, err := s.DeleteProject(ctx, 2, " shop ")
		if err != nil || p.Name != "shop" {
			t.Fatalf("DeleteProject: %+v %v", p, err)
		}
		if _, err := s.Authenticate(ctx, keys[0]); !errors.Is(err, ErrUnknownKey) {
			t.Errorf("the deleted project's key: %v", err)
		}
		if left := counts(2); len(left) > 0 {
			t.Errorf("rows of the deleted project left: %v", left)
		}
		if after := counts(3); len(after) != len(before) {
			t.Errorf("project 3's rows: %v, were %v", after, before)
		}
		ds, err := s.DeletedProjects(ctx)
		if err != nil || len(ds) != 1 || ds[0].ID != 2 || ds[0].Name != "shop" || !ds[0].EventsDeletedAt.IsZero() {
			t.Fatalf("deleted projects: %+v %v", ds, err)
		}
		if err := s.ProjectEventsDeleted(ctx, 2); err != nil {
			t.Fatal(err)
		}
		if ds, _ := s.DeletedProjects(ctx); ds[0].EventsDeletedAt.IsZero() {
			t.Errorf("events deleted, not recorded: %+v", ds)
		}
		// Deleting the newest project: SQLite would give its id again.
		if _, err := s.DeleteProject(ctx, 3, "blog"); err != nil {
			t.Fatal(err)
		}
		np, err := s.CreateProject(ctx, "next")
		if err != nil || np.ID != 4 {
			t.Errorf("the project made after deleting 2 and 3: %d %v; want id 4", np.ID, err)
		}
		if _, err := s.Authenticate(ctx, np.IngestKey); err != nil {
			t.Errorf("the new project's key: %v", err)
		}
		if pr, err := s.Authenticate(ctx, np.IngestKey); err != nil || pr.ProjectID != 4 {
			t.Errorf("the new project's key names project %d: %v", pr.ProjectID, err)
		}
	})
}
