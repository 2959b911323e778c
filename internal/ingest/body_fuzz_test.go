package ingest

import (
	"bytes"
	"errors"
	"net/http/httptest"
	"testing"
)

func FuzzDecompress(f *testing.F) {
	f.Add([]byte("hello"), "", int64(100))
	f.Add(gz([]byte("hello gzip")), "gzip", int64(100))
	f.Add(zst([]byte("hello zstd")), "zstd", int64(100))
	f.Add(zl([]byte("hello zlib")), "deflate", int64(100))
	f.Add(rawDeflate([]byte("hello flate")), "deflate", int64(5))
	f.Fuzz(func(t *testing.T, b []byte, enc string, limit int64) {
		out, err := Decompress(b, enc, limit)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrBadEncoding) {
				t.Fatalf("error %v wraps neither ErrTooLarge nor ErrBadEncoding", err)
			}
			return
		}
		if limit > 0 && int64(len(out)) > limit {
			t.Fatalf("%d bytes out, limit %d", len(out), limit)
		}
	})
}

func FuzzReadBody(f *testing.F) {
	f.Add([]byte("hello"), "", int64(100))
	f.Add(gz([]byte("hello gzip")), "", int64(100))
	f.Add(zst(bytes.Repeat([]byte("z"), 1000)), "zstd", int64(100))
	f.Add([]byte{0x1f, 0x8b, 8, 0}, "", int64(100))
	f.Fuzz(func(t *testing.T, b []byte, enc string, limit int64) {
		r := httptest.NewRequest("POST", "/", bytes.NewReader(b))
		r.Header.Set("Content-Encoding", enc)
		out, err := ReadBody(r, limit)
		if err != nil {
			if !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrBadEncoding) {
				t.Fatalf("error %v wraps neither ErrTooLarge nor ErrBadEncoding", err)
			}
			return
		}
		if limit > 0 && int64(len(out)) > limit {
			t.Fatalf("%d bytes out, limit %d", len(out), limit)
		}
	})
}
