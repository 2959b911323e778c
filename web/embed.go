// Package web embeds the web UI. `make web-build` (and so `make demo`)
// builds the UI (TypeScript, React, Vite) into web/dist, which git ignores;
// the repository commits only web/dist/placeholder.html, a small built-in
// search-and-journey page, so `go build` and `go test` never need Node.
// Dist serves the built UI when there is one, else the placeholder.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Dist returns the UI's files, rooted at dist/. When no UI was built, its
// index.html is the placeholder page.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist exists
	}
	if _, err := fs.Stat(sub, "index.html"); err == nil {
		return sub
	}
	return placeholderFS{sub}
}

// placeholderFS answers index.html with placeholder.html.
type placeholderFS struct{ fs.FS }

func (p placeholderFS) Open(name string) (fs.File, error) {
	if name == "index.html" {
		return p.FS.Open("placeholder.html")
	}
	return p.FS.Open(name)
}
