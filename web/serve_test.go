package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"testing/fstest"
)

func gz(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

func TestHandlerSendsPrecompressedAssets(t *testing.T) {
	const page, script = "<!doctype html><title>Lore</title>", "console.log('lore')"
	fsys := fstest.MapFS{
		"index.html":            {Data: []byte(page)},
		"index.html.gz":         {Data: gz(t, page)},
		"index.html.br":         {Data: []byte("BROTLI-PAGE")},
		"assets/app-1a2b.js":    {Data: []byte(script)},
		"assets/app-1a2b.js.gz": {Data: gz(t, script)},
		"plain.svg":             {Data: []byte("<svg/>")},
	}
	h := Handler(fsys)
	get := func(method, path, accept string) *http.Response {
		t.Helper()
		req := httptest.NewRequest(method, path, nil)
		if accept != "" {
			req.Header.Set("Accept-Encoding", accept)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result()
	}
	body := func(r *http.Response) string {
		t.Helper()
		rd := io.Reader(r.Body)
		if r.Header.Get("Content-Encoding") == "gzip" {
			z, err := gzip.NewReader(r.Body)
			if err != nil {
				t.Fatal(err)
			}
			rd = z
		}
		b, _ := io.ReadAll(rd)
		return string(b)
	}
	cases := []struct {
		method, path, accept         string
		status                       int
		encoding, ctype, cache, want string
	}{
		{"GET", "/", "gzip, deflate, br", 200, "br", "text/html; charset=utf-8", "no-cache", "BROTLI-PAGE"},
		{"GET", "/", "gzip", 200, "gzip", "text/html; charset=utf-8", "no-cache", page},
		{"GET", "/", "", 200, "", "text/html; charset=utf-8", "no-cache", page},
		{"GET", "/", "br;q=0, gzip;q=0.5", 200, "gzip", "text/html; charset=utf-8", "no-cache", page},
		{"GET", "/", "*", 200, "br", "text/html; charset=utf-8", "no-cache", "BROTLI-PAGE"},
		{"GET", "/", "identity", 200, "", "text/html; charset=utf-8", "no-cache", page},
		{"GET", "/assets/app-1a2b.js", "gzip, br", 200, "gzip", "text/javascript; charset=utf-8", "public, max-age=31536000, immutable", script},
		{"GET", "/plain.svg", "gzip, br", 200, "", "image/svg+xml", "no-cache", "<svg/>"},
		{"GET", "/missing.js", "gzip", 404, "", "", "", ""},
	}
	for _, c := range cases {
		r := get(c.method, c.path, c.accept)
		if r.StatusCode != c.status {
			t.Errorf("%s %s (%q): status %d, want %d", c.method, c.path, c.accept, r.StatusCode, c.status)
			continue
		}
		if c.status != 200 {
			continue
		}
		if got := r.Header.Get("Content-Encoding"); got != c.encoding {
			t.Errorf("%s (%q): Content-Encoding %q, want %q", c.path, c.accept, got, c.encoding)
		}
		if got := r.Header.Get("Content-Type"); got != c.ctype {
			t.Errorf("%s (%q): Content-Type %q, want %q", c.path, c.accept, got, c.ctype)
		}
		if got := r.Header.Get("Cache-Control"); got != c.cache {
			t.Errorf("%s: Cache-Control %q, want %q", c.path, got, c.cache)
		}
		if got := r.Header.Get("Vary"); got != "Accept-Encoding" {
			t.Errorf("%s: Vary %q", c.path, got)
		}
		if got := body(r); got != c.want {
			t.Errorf("%s (%q): body %q, want %q", c.path, c.accept, got, c.want)
		}
	}
	// A HEAD gets the headers of the encoded file and no body.
	r := get("HEAD", "/assets/app-1a2b.js", "gzip")
	if want := strconv.Itoa(len(fsys["assets/app-1a2b.js.gz"].Data)); r.Header.Get("Content-Encoding") != "gzip" || r.Header.Get("Content-Length") != want {
		t.Errorf("HEAD: encoding %q, length %q, want gzip and %s", r.Header.Get("Content-Encoding"), r.Header.Get("Content-Length"), want)
	}
}

func TestAccepts(t *testing.T) {
	for _, c := range []struct {
		header, token string
		want          bool
	}{
		{"gzip, deflate, br, zstd", "br", true},
		{"gzip;q=1.0, identity; q=0.5, *;q=0", "br", false},
		{"GZIP", "gzip", true},
		{"gzip;q=0", "gzip", false},
		{"*;q=0.1", "br", true},
		{"", "gzip", false},
		{"deflate", "gzip", false},
	} {
		if got := accepts(c.header, c.token); got != c.want {
			t.Errorf("accepts(%q, %q) = %v, want %v", c.header, c.token, got, c.want)
		}
	}
}
