// Package jssdk embeds the browser SDK's build (dist/, built from src/ by
// `npm run build` and committed, so `go build` never needs Node). Lore
// serves the script at /sdk.js, its session recorder (a chunk of its own,
// loaded only by pages that record) at /sdk-replay.js, and the npm
// package at /sdk.tgz.
package jssdk

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"embed"
	"fmt"
	"io/fs"
	"time"
)

var (
	//go:embed dist/lore.js
	script []byte
	//go:embed dist/lore.mjs
	module []byte
	//go:embed dist/lore-replay.js
	recorder []byte
	//go:embed dist/lore-replay.mjs
	recorderModule []byte
	//go:embed dist/types/*.d.ts
	types embed.FS
	//go:embed package.json
	packageJSON []byte
	//go:embed README.md
	readme []byte
)

// Script returns the minified SDK, an IIFE that defines window.lore.
func Script() []byte { return script }

// Recorder returns the session recorder for the script-tag SDK (an IIFE
// that defines window.__loreRecorder).
func Recorder() []byte { return recorder }

// Package returns the SDK as an npm package tarball (package.json, README
// and dist/; about 15 KB), so `npm install https://LORE/sdk.tgz` installs
// it as @lore-dev/browser.
func Package() ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	mtime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	files := []struct {
		name string
		body []byte
	}{
		{"package/package.json", packageJSON}, {"package/README.md", readme}, {"package/dist/lore.js", script},
		{"package/dist/lore.mjs", module}, {"package/dist/lore-replay.js", recorder}, {"package/dist/lore-replay.mjs", recorderModule},
	}
	decls, _ := fs.Glob(types, "dist/types/*.d.ts")
	for _, name := range decls {
		b, err := fs.ReadFile(types, name)
		if err != nil {
			return nil, fmt.Errorf("pack %s: %w", name, err)
		}
		files = append(files, struct {
			name string
			body []byte
		}{"package/" + name, b})
	}
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: mtime, Typeflag: tar.TypeReg}); err != nil {
			return nil, fmt.Errorf("pack %s: %w", f.name, err)
		}
		if _, err := tw.Write(f.body); err != nil {
			return nil, fmt.Errorf("pack %s: %w", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("pack the SDK: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("pack the SDK: %w", err)
	}
	return buf.Bytes(), nil
}
