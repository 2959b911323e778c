package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"

	"github.com/lore-dev/lore/internal/lifecycle"
)

// runBackup asks a running server for a backup (POST /api/v1/backup, a
// server admin's act: it signs in with --email and --password) and writes
// it to --out.
func runBackup(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("backup", stdio)
	base := fs.String("url", env("LORE_URL", "http://localhost:4780"), "Lore's base URL (env LORE_URL)")
	email := fs.String("email", env("LORE_EMAIL", ""), "a server admin's e-mail (env LORE_EMAIL)")
	password := fs.String("password", env("LORE_PASSWORD", ""), "their password (env LORE_PASSWORD)")
	out := fs.String("out", "", "the backup file to write (.tar.gz)")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	if *out == "" || *email == "" || *password == "" {
		fs.Usage()
		return errors.New("backup: pass --out FILE and a server admin's --email and --password")
	}
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	body, _ := json.Marshal(map[string]string{"email": *email, "password": *password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(*base, "/")+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("backup: sign in: %w", err)
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("backup: sign in as %s: %d %s", *email, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	u, _ := url.Parse(*base)
	csrf := ""
	for _, c := range jar.Cookies(u) {
		if c.Name == "lore_csrf" {
			csrf = c.Value
		}
	}
	req, err = http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(*base, "/")+"/api/v1/backup", nil)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	req.Header.Set("X-CSRF-Token", csrf)
	req.Header.Set("Origin", strings.TrimRight(*base, "/"))
	resp, err = hc.Do(req)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
		return fmt.Errorf("backup: %d %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	tmp := *out + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	n, err := io.Copy(f, resp.Body)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: write %q: %w", *out, err)
	}
	if err := os.Rename(tmp, *out); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	fmt.Fprintf(stdio.Out, "wrote %s (%d bytes)\n", *out, n)
	return nil
}

// runRestore unpacks a backup into a data directory for lore serve --data.
func runRestore(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("restore", stdio)
	data := fs.String("data", env("LORE_DATA", ""), "the data directory to restore into (env LORE_DATA); empty, or --force")
	force := fs.Bool("force", false, "overwrite a data directory that holds Lore's data (stop the server first)")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	if *data == "" || fs.NArg() != 1 {
		fs.Usage()
		return errors.New("restore: pass --data DIR and one backup file")
	}
	f, err := os.Open(fs.Arg(0))
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer f.Close()
	if err := os.MkdirAll(*data, 0o755); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	m, err := lifecycle.Restore(f, *data, *force)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdio.Out, "restored the backup of %s (%d files) into %s\n", m.Created.Format("2006-01-02 15:04:05Z"), len(m.Files), *data)
	return nil
}

// runErase erases a person from a running server (DELETE
// /api/v1/persons/{id}, a project admin's act).
func runErase(ctx context.Context, args []string, stdio Stdio) error {
	fs := newFlags("erase", stdio)
	base := fs.String("url", env("LORE_URL", "http://localhost:4780"), "Lore's base URL (env LORE_URL)")
	key := fs.String("key", env("LORE_KEY", ""), "a project admin key (env LORE_KEY)")
	if err := fs.Parse(reorderFlags(fs, args)); err != nil {
		return err
	}
	if fs.NArg() != 1 || *key == "" {
		fs.Usage()
		return errors.New("erase: pass --key ADMIN_KEY and one user id")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, strings.TrimRight(*base, "/")+"/api/v1/persons/"+url.PathEscape(fs.Arg(0)), nil)
	if err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+*key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("erase: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("erase %q: %d %s", fs.Arg(0), resp.StatusCode, strings.TrimSpace(string(b)))
	}
	fmt.Fprintln(stdio.Out, strings.TrimSpace(string(b)))
	return nil
}
