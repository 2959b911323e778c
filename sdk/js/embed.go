// Package jssdk embeds the browser SDK's built script (dist/lore.js, built
// from src/ by `npm run build` and committed, so `go build` never needs
// Node). Lore serves it at /sdk.js.
package jssdk

import _ "embed"

//go:embed dist/lore.js
var script []byte

// Script returns the minified SDK, an IIFE that defines window.lore.
func Script() []byte { return script }
