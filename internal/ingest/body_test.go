package ingest

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func zst(b []byte) []byte {
	w, _ := zstd.NewWriter(nil)
	defer w.Close()
	return w.EncodeAll(b, nil)
}

func zl(b []byte) []byte {
	var buf bytes.Buffer
	w := zlib.NewWriter(&buf)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func rawDeflate(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := flate.NewWriter(&buf, flate.BestSpeed)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

func TestReadBody(t *testing.T) {
	plain := []byte(strings.Repeat(`{"msg":"hello"}`+"\n", 100))
	f := func(name string, body []byte, encoding string, max int64, want []byte, wantErr error) {
		t.Helper()
		r := httptest.NewRequest("POST", "/api/v1/ingest", bytes.NewReader(body))
		if encoding != "" {
			r.Header.Set("Content-Encoding", encoding)
		}
		got, err := ReadBody(r, max)
		if wantErr != nil {
			if !errors.Is(err, wantErr) {
				t.Errorf("%s: err %v, want %v", name, err, wantErr)
			}
			return
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s: %d bytes, err %v; want %d bytes", name, len(got), err, len(want))
		}
	}
	f("identity", plain, "", 1<<20, plain, nil)
	f("identity header", plain, "identity", 1<<20, plain, nil)
	f("gzip", gz(plain), "gzip", 1<<20, plain, nil)
	f("x-gzip", gz(plain), "X-Gzip", 1<<20, plain, nil)
	f("zstd", zst(plain), "zstd", 1<<20, plain, nil)
	f("deflate zlib", zl(plain), "deflate", 1<<20, plain, nil)
	f("deflate raw", rawDeflate(plain), "deflate", 1<<20, plain, nil)
	f("gzip sniffed", gz(plain), "", 1<<20, plain, nil)
	f("zstd sniffed", zst(plain), "", 1<<20, plain, nil)
	f("no limit", gz(plain), "gzip", 0, plain, nil)
	f("exactly the limit", plain, "", int64(len(plain)), plain, nil)
	f("too large sent", plain, "", int64(len(plain))-1, nil, ErrTooLarge)
	bomb := bytes.Repeat([]byte("a"), 10<<20)
	f("gzip bomb", gz(bomb), "gzip", 1<<20, nil, ErrTooLarge)
	f("zstd bomb", zst(bomb), "zstd", 1<<20, nil, ErrTooLarge)
	f("deflate bomb", zl(bomb), "deflate", 1<<20, nil, ErrTooLarge)
	f("unknown encoding", plain, "br", 1<<20, nil, ErrBadEncoding)
	f("corrupt gzip", append(gz(plain)[:20], 0, 1, 2), "gzip", 1<<20, nil, ErrBadEncoding)
	f("not gzip", plain, "gzip", 1<<20, nil, ErrBadEncoding)
	f("corrupt zstd", []byte{0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3}, "zstd", 1<<20, nil, ErrBadEncoding)
	f("truncated zstd", zst(plain)[:10], "", 1<<20, nil, ErrBadEncoding)
}

func TestReadBodyContentLength(t *testing.T) {
	r := httptest.NewRequest("POST", "/", strings.NewReader("0123456789"))
	_, err := ReadBody(r, 5)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "Content-Length 10") {
		t.Errorf("err %v", err)
	}
}

func TestDecompressErrorQuotesEncoding(t *testing.T) {
	_, err := Decompress([]byte("x"), "snappy", 10)
	if err == nil || !strings.Contains(err.Error(), `"snappy"`) {
		t.Errorf("err %v", err)
	}
}
