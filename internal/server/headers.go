package server

import (
	"crypto/sha256"
	"encoding/base64"
	"io/fs"
	"net/http"
	"regexp"
	"strings"
)

// withHeaders sets the headers every response carries: browsers must not
// guess content types (an event rendered as HTML by a sniffing browser
// would run its scripts), and no URL — which may carry a key — leaks in a
// Referer.
func withHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Referrer-Policy", "no-referrer")
		h.ServeHTTP(w, r)
	})
}

// uiHeaders sets, on every response of the web UI, a Content Security
// Policy that lets the page load only its own scripts and connect only to
// its own origin, and forbids framing (clickjacking).
func uiHeaders(ui fs.FS, h http.Handler) http.Handler {
	csp := uiPolicy(ui)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", csp)
		w.Header().Set("X-Frame-Options", "DENY")
		h.ServeHTTP(w, r)
	})
}

var inlineScript = regexp.MustCompile(`(?s)<script>(.*?)</script>`)

// uiPolicy is the UI's Content Security Policy. The built UI has no inline
// script; the placeholder page's inline script is allowed by its hash.
func uiPolicy(ui fs.FS) string {
	scripts := []string{"'self'"}
	if page, err := fs.ReadFile(ui, "index.html"); err == nil {
		for _, m := range inlineScript.FindAllSubmatch(page, -1) {
			sum := sha256.Sum256(m[1])
			scripts = append(scripts, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'")
		}
	}
	return strings.Join([]string{
		"default-src 'self'",
		"script-src " + strings.Join(scripts, " "),
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data: blob:",
		"font-src 'self' data:",
		"connect-src 'self'",
		"worker-src 'self' blob:",
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	}, "; ")
}
