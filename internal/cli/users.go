package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lore-dev/lore/internal/meta"
)

const usersUsage = `lore users list   --data DIR
lore users add    --data DIR EMAIL [--role viewer|member|admin] [--project 1] [--server-admin]
lore users remove --data DIR EMAIL
lore users reset  --data DIR EMAIL

Manages the people who sign in, in a data directory's metadata database;
the server may be running. add gives the user a role in a project (made
if new); a new user, and reset, print a one-time login link valid 7 days
(reset also ends the user's sessions and clears nothing else). Passwords
are stored as argon2id hashes. --password-env NAME sets a password from an
environment variable instead of a link.`

// runUsers lists, adds, removes and resets users.
func runUsers(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("users", stdio)
	fs.Usage = func() {
		fmt.Fprintln(stdio.Err, usersUsage+"\n\nFlags:")
		fs.PrintDefaults()
	}
	data := fs.String("data", env("LORE_DATA", ""), "data directory (env LORE_DATA)")
	role := fs.String("role", "member", "add: the role in --project: viewer, member or admin")
	project := fs.Int64("project", 1, "add: the project")
	serverAdmin := fs.Bool("server-admin", false, "add: a server admin (admin of every project, creates projects)")
	passwordEnv := fs.String("password-env", "", "add, reset: take the password from this environment variable instead of printing a login link")
	url := fs.String("url", env("LORE_PUBLIC_URL", "http://localhost:4780"), "Lore's address, for the login link")
	m, rest, err := openMetaCommand(ctx, fs, args, data, "users: say list, add, remove or reset, with --data DIR")
	if err != nil {
		return err
	}
	defer m.Close()
	password := ""
	if *passwordEnv != "" {
		if password = env(*passwordEnv, ""); password == "" {
			return fmt.Errorf("users: the environment variable %q is empty", *passwordEnv)
		}
	}
	link := func(u meta.User) error {
		t, err := m.NewLoginLink(ctx, u.ID, 7*24*time.Hour)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "one-time login link for %s (valid 7 days, shown once):\n  %s/#/login?link=%s\n", u.Email, strings.TrimRight(*url, "/"), t)
		return nil
	}
	one := func() (meta.User, error) {
		if len(rest) != 2 {
			return meta.User{}, fmt.Errorf("users %s: give the user's email", rest[0])
		}
		return m.UserByEmail(ctx, rest[1])
	}
	switch rest[0] {
	case "list":
		users, err := m.Users(ctx)
		if err != nil {
			return err
		}
		for _, u := range users {
			ps, err := m.UserProjects(ctx, u)
			if err != nil {
				return err
			}
			var roles []string
			for _, p := range ps {
				roles = append(roles, fmt.Sprintf("%d:%s", p.ID, p.Role))
			}
			extra := ""
			if u.ServerAdmin {
				extra = "  server admin"
			}
			fmt.Fprintf(stdio.Out, "%4d  %-32s  projects %s%s\n", u.ID, u.Email, strings.Join(roles, ","), extra)
		}
		return nil
	case "add":
		if len(rest) != 2 {
			return errors.New("users add: give the user's email")
		}
		r, err := meta.ParseMemberRole(*role)
		if err != nil {
			return fmt.Errorf("users add: --role: %w", err)
		}
		u, err := m.UserByEmail(ctx, rest[1])
		created := false
		if errors.Is(err, meta.ErrNotFound) {
			if u, err = m.AddUser(ctx, rest[1], password, *serverAdmin); err != nil {
				return err
			}
			created = true
		} else if err != nil {
			return err
		}
		if err := m.SetMember(ctx, *project, u.ID, r); err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "%s is %s of project %d\n", u.Email, r, *project)
		if created && password == "" {
			return link(u)
		}
		return nil
	case "remove":
		u, err := one()
		if err != nil {
			return err
		}
		if err := m.RemoveUser(ctx, u.ID); err != nil {
			return err
		}
		fmt.Fprintf(stdio.Out, "removed %s; their sessions ended\n", u.Email)
		return nil
	case "reset":
		u, err := one()
		if err != nil {
			return err
		}
		if password != "" {
			if err := m.SetPassword(ctx, u.ID, password); err != nil {
				return err
			}
			fmt.Fprintf(stdio.Out, "set %s's password; their sessions ended\n", u.Email)
			return nil
		}
		if err := m.EndSessions(ctx, u.ID); err != nil {
			return err
		}
		return link(u)
	}
	return fmt.Errorf("users: unknown action %q (want list, add, remove or reset)", rest[0])
}
