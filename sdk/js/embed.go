// Package jssdk embeds the browser SDK's build (dist/, built from src/ by
// `npm run build` and committed, so `go build` never needs Node). Lore
// serves the script at /sdk.js and the npm package at /sdk.tgz.
package jssdk

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	_ "embed"
	"fmt"
	"time"
)

var (
	//go:embed dist/lore.js
	script []byte
	//go:embed dist/lore.mjs
	module []byte
	//go:embed dist/types/index.d.ts
	types []byte
	//go:embed package.json
	packageJSON []byte
	//go:embed README.md
	readme []byte
)

// Script returns the minified SDK, an IIFE that defines window.lore.
func Script() []byte { return script }

// Package returns the SDK as an npm package tarball (package.json, README
// and dist/; about 15 KB), so `npm install https://LORE/sdk.tgz` installs
// it as @lore-dev/browser.
func Package() ([]byte, error) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	mtime := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []struct {
		name string
		body []byte
	}{
		{"package/package.json", packageJSON}, {"package/README.md", readme}, {"package/dist/lore.js", script},
		{"package/dist/lore.mjs", module}, {"package/dist/types/index.d.ts", types},
	} {
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
