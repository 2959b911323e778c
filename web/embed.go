// Package web embeds the built web UI (web/dist). The repository commits a
// small placeholder page there, so `go build` and `go test` never need Node;
// the UI build replaces it.
package web

import (
	"embed"
	"io/fs"
)

//go:embed dist
var dist embed.FS

// Dist returns the UI's files, rooted at dist/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees dist exists
	}
	return sub
}
