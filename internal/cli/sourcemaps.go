package cli

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
)

const sourcemapsUsage = `lore sourcemaps upload DIR --release R [--url-prefix PREFIX]
lore sourcemaps list --release R
lore sourcemaps delete --release R

Source maps for a release, so the minified frames of its browser errors are
shown and grouped by their original function and file: upload sends every
.js, .mjs, .cjs and .map file under DIR (your bundler's output), each named
by its path under DIR, prefixed by --url-prefix when the site serves DIR
under a path (--url-prefix static for https://shop.example/static/app.js).
Release R is the release your SDK reports (Sentry's release, posthog-js's
$app_version). Needs a read key (--key or LORE_READ_KEY).`

// runSourcemaps uploads, lists and deletes a release's source maps.
func runSourcemaps(ctx context.Context, args []string, stdio Stdio) error {
	c := newReadCommand("sourcemaps", sourcemapsUsage, stdio)
	release := c.fs.String("release", "", "the release the files belong to (required)")
	prefix := c.fs.String("url-prefix", "", "upload: the path the site serves DIR under")
	if err := c.parse(args); err != nil {
		return err
	}
	rest := c.fs.Args()
	if len(rest) == 0 {
		c.fs.Usage()
		return errors.New("sourcemaps: say upload, list or delete")
	}
	if *release == "" {
		return errors.New("sourcemaps: --release is required")
	}
	cl, err := c.rf.client()
	if err != nil {
		return err
	}
	q := url.Values{"release": {*release}}
	switch rest[0] {
	case "upload":
		if len(rest) != 2 {
			return errors.New("sourcemaps upload: name one directory")
		}
		files, err := uploadFiles(rest[1])
		if err != nil {
			return err
		}
		if len(files) == 0 {
			return fmt.Errorf("sourcemaps upload: no .js or .map file under %s", rest[1])
		}
		maps := 0
		for _, f := range files {
			body, err := os.ReadFile(filepath.Join(rest[1], f))
			if err != nil {
				return fmt.Errorf("read %q: %w", f, err)
			}
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			zw.Write(body)
			zw.Close()
			name := path.Join(strings.Trim(*prefix, "/"), filepath.ToSlash(f))
			fq := url.Values{"release": {*release}, "name": {name}}
			if _, err := cl.Do(ctx, http.MethodPost, "/api/v1/sourcemaps", fq, gz.Bytes(),
				http.Header{"Content-Type": {"application/octet-stream"}, "Content-Encoding": {"gzip"}}); err != nil {
				return fmt.Errorf("upload %s: %w", name, err)
			}
			if strings.HasSuffix(f, ".map") {
				maps++
			}
			fmt.Fprintf(stdio.Err, "uploaded %s (%d bytes)\n", name, len(body))
		}
		fmt.Fprintf(stdio.Out, "release %s: %d files uploaded, %d source maps\n", *release, len(files), maps)
		if maps == 0 {
			fmt.Fprintln(stdio.Err, "warning: no .map file: build with source maps (esbuild --sourcemap, vite build.sourcemap: true)")
		}
		return nil
	case "list":
		var ans struct {
			Files []struct {
				Name       string `json:"name"`
				Size       int64  `json:"size"`
				UploadedAt string `json:"uploaded_at"`
			} `json:"files"`
		}
		if done, err := c.ask(ctx, stdio, "/api/v1/sourcemaps", q, nil, &ans); done || err != nil {
			return err
		}
		for _, f := range ans.Files {
			fmt.Fprintf(stdio.Out, "%10d  %s  %s\n", f.Size, f.UploadedAt, f.Name)
		}
		if len(ans.Files) == 0 {
			fmt.Fprintf(stdio.Out, "release %s has no files\n", *release)
		}
		return nil
	case "delete":
		raw, err := cl.Do(ctx, http.MethodDelete, "/api/v1/sourcemaps", q, nil, nil)
		if err != nil {
			return err
		}
		var ans struct {
			Deleted int64 `json:"deleted"`
		}
		json.Unmarshal(raw, &ans)
		fmt.Fprintf(stdio.Out, "release %s: %d files deleted\n", *release, ans.Deleted)
		return nil
	}
	return fmt.Errorf("sourcemaps: unknown action %q: say upload, list or delete", rest[0])
}

// uploadFiles lists the scripts and maps under dir, as paths relative to
// it.
func uploadFiles(dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".js", ".mjs", ".cjs", ".map":
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("sourcemaps upload: %w", err)
	}
	return out, nil
}
