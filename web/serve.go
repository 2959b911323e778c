package web

import (
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Handler serves the UI's files. A file built with pre-compressed
// siblings (NAME.br, NAME.gz, written by web/scripts/size.mjs) is sent
// compressed to a browser that accepts the encoding, brotli first. Vite's
// content-hashed assets/ are cached for a year; the rest is revalidated.
func Handler(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
		if name == "" || strings.HasSuffix(r.URL.Path, "/") {
			name = path.Join(name, "index.html")
		}
		if strings.HasPrefix(name, "assets/") {
			w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			w.Header().Set("Cache-Control", "no-cache")
		}
		w.Header().Add("Vary", "Accept-Encoding")
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			for _, enc := range []struct{ token, ext string }{{"br", ".br"}, {"gzip", ".gz"}} {
				if accepts(r.Header.Get("Accept-Encoding"), enc.token) && serveEncoded(w, r, fsys, name, enc.token, enc.ext) {
					return
				}
			}
		}
		files.ServeHTTP(w, r)
	})
}

// serveEncoded sends name+ext as name encoded with token, if both exist.
func serveEncoded(w http.ResponseWriter, r *http.Request, fsys fs.FS, name, token, ext string) bool {
	if _, err := fs.Stat(fsys, name); err != nil {
		return false
	}
	f, err := fsys.Open(name + ext)
	if err != nil {
		return false
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil || st.IsDir() {
		return false
	}
	rs, ok := f.(io.ReadSeeker)
	if !ok {
		return false
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Encoding", token)
	// ServeContent leaves out the length of an encoded body; set it, and
	// answer a byte range (no browser asks one of a script) with it whole.
	w.Header().Set("Content-Length", strconv.FormatInt(st.Size(), 10))
	r.Header.Del("Range")
	http.ServeContent(w, r, name, st.ModTime(), rs)
	return true
}

// accepts reports whether an Accept-Encoding header value allows token
// (listed without q=0, or by a * with q>0 when not listed).
func accepts(header, token string) bool {
	star := false
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		for p := range strings.SplitSeq(params, ";") {
			if k, v, ok := strings.Cut(strings.TrimSpace(p), "="); ok && strings.EqualFold(k, "q") {
				if f, err := strconv.ParseFloat(v, 64); err == nil {
					q = f
				}
			}
		}
		switch {
		case strings.EqualFold(coding, token):
			return q > 0
		case coding == "*":
			star = q > 0
		}
	}
	return star
}
