package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"path/filepath"
	"strconv"

	"github.com/lore-dev/lore/internal/meta"
)

const projectsUsage = `lore projects list   --data DIR
lore projects create --data DIR NAME [--admin EMAIL]
lore projects rename --data DIR ID NAME
lore projects delete --data DIR ID --confirm NAME

Manages the projects of a data directory's metadata database; the server
may be running. list shows the projects, then the deleted ones, each with
whether its events are still to leave the events store. create prints
the new project's id and its first ingest and read keys, once (only
their hashes are stored); server admins open every project, --admin
EMAIL also makes an existing user its admin (add others with lore users
add --project ID).

delete deletes a project for good, --confirm giving its name: its keys,
members, monitors, channels, dashboards, issues, settings and audit log
go at once; its events (with their archived days and recordings) leave
the events store when the server next looks, within seconds while it
runs, else when it starts. The default project (1) is never deleted. A
server admin may also delete one from the UI or with
DELETE /api/v1/projects/ID?confirm=NAME, which deletes the events at once.`

// runProjects lists, creates and renames projects.
func runProjects(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("projects", stdio)
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, projectsUsage+"\n\nFlags:")
		fs.PrintDefaults()
	}
	data := fs.String("data", env("LORE_DATA", ""), "data directory (env LORE_DATA)")
	admin := fs.String("admin", "", "create: make this existing user the project's admin")
	confirm := fs.String("confirm", "", "delete: the project's name, to confirm")
	m, rest, err := openMetaCommand(ctx, fs, args, data, "projects: say list, create, rename or delete, with --data DIR")
	if err != nil {
		return err
	}
	defer m.Close()
	switch rest[0] {
	case "list":
		ps, err := m.Projects(ctx)
		if err != nil {
			return err
		}
		for _, p := range ps {
			ms, err := m.Members(ctx, p.ID)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "%4d  %-32s  members %d  created %s\n", p.ID, p.Name, len(ms), p.CreatedAt)
		}
		ds, err := m.DeletedProjects(ctx)
		if err != nil {
			return err
		}
		listDeleted(stdio, ds)
		return nil
	case "create":
		if len(rest) != 2 {
			return errors.New("projects create: give the project's name (quote it if it has spaces)")
		}
		var u meta.User
		if *admin != "" {
			// Look the user up first: a typo makes no project.
			if u, err = m.UserByEmail(ctx, *admin); err != nil {
				return fmt.Errorf("projects create: --admin %q: %w (add them with lore users add)", *admin, err)
			}
		}
		p, err := m.CreateProject(ctx, rest[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "project %d %q created; its keys (shown once; only their hashes are stored):\n", p.ID, p.Name)
		fmt.Fprintf(stdio.Out, "  ingest key: %s\n  read key:   %s\n", p.IngestKey, p.ReadKey)
		if *admin != "" {
			if err := m.SetMember(ctx, p.ID, u.ID, meta.RoleAdmin); err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "%s is admin of project %d\n", u.Email, p.ID)
		}
		return nil
	case "rename":
		if len(rest) != 3 {
			return errors.New("projects rename: give the project's id and its new name")
		}
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return fmt.Errorf("projects rename: bad id %q", rest[1])
		}
		p, err := m.RenameProject(ctx, id, rest[2])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "project %d is now %q\n", p.ID, p.Name)
		return nil
	case "delete", "remove":
		if len(rest) != 2 {
			return errors.New("projects delete: give the project's id, and its name with --confirm NAME")
		}
		id, err := strconv.ParseInt(rest[1], 10, 64)
		if err != nil {
			return fmt.Errorf("projects delete: bad id %q", rest[1])
		}
		if *confirm == "" {
			return fmt.Errorf("projects delete: confirm with the project's name: --confirm NAME")
		}
		p, err := m.DeleteProject(ctx, id, *confirm)
		if err != nil {
			return fmt.Errorf("projects delete: %w", err)
		}
		fmt.Fprintf(stdio.Out, "project %d %q deleted: its keys, members and settings are gone; "+
			"its events leave the events store within seconds while the server runs, else when it starts\n", p.ID, p.Name)
		return nil
	}
	return fmt.Errorf("projects: unknown action %q (want list, create, rename or delete)", rest[0])
}

// listDeleted prints the deleted projects, if any, after the others: when
// each was deleted and whether its events have left the events store.
func listDeleted(stdio Stdio, ds []meta.DeletedProject) {
	if len(ds) == 0 {
		return
	}
	const at = "2006-01-02 15:04 UTC"
	fmt.Fprintln(stdio.Out, "deleted (their ids are never given again):")
	pending := false
	for _, d := range ds {
		events := "events deleted " + d.EventsDeletedAt.Format(at)
		if d.EventsDeletedAt.IsZero() {
			events, pending = "events pending", true
		}
		fmt.Fprintf(stdio.Out, "%4d  %-32s  deleted %s, %s\n", d.ID, d.Name, d.DeletedAt.Format(at), events)
	}
	if pending {
		fmt.Fprintln(stdio.Out, "pending events leave the events store within seconds while the server runs, else when it starts")
	}
}

// metaUsage describes --meta, for serve and the commands that manage
// metadata.
const metaUsage = "metadata database: a PostgreSQL URL postgres://user:password@host:port/db, for several nodes; empty is DATA/meta.db (SQLite) (env LORE_META)"

// openMetaCommand parses the flags of a command that manages a data
// directory's metadata (users, keys, projects) and opens it; it returns
// the words after the flags (at least one), or the usage error want.
func openMetaCommand(ctx context.Context, fs *flag.FlagSet, args []string, data *string, want string) (*meta.Store, []string, error) {
	where := fs.String("meta", env("LORE_META", ""), metaUsage)
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return nil, nil, err
	}
	rest := fs.Args()
	if len(rest) == 0 || (*data == "" && *where == "") {
		fs.Usage()
		return nil, nil, errors.New(want)
	}
	m, err := meta.Open(ctx, cmp.Or(*where, filepath.Join(*data, "meta.db")))
	if err != nil {
		return nil, nil, err
	}
	return m, rest, nil
}
