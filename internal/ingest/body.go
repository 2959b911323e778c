// Package ingest holds what the protocol adapters share: reading a
// request body within a size limit and undoing its Content-Encoding.
package ingest

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/klauspost/compress/zstd"
)

// ErrTooLarge is wrapped by the errors of a body over its limit, before or
// after decompression (answer 413).
var ErrTooLarge = errors.New("body too large")

// ErrBadEncoding is wrapped by the errors of an unknown Content-Encoding or
// a corrupt compressed stream (answer 400 or 415).
var ErrBadEncoding = errors.New("bad content encoding")

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// ReadBody reads r's body and undoes its Content-Encoding (gzip, x-gzip,
// zstd, deflate, identity). maxBytes limits both the body as sent and the
// decompressed body, so a small zip bomb is refused as early as a large
// upload; maxBytes <= 0 means no limit. A body sent without
// Content-Encoding that starts with the gzip or zstd magic bytes is
// decompressed too (`lore ingest app.log.gz`). Errors wrap ErrTooLarge or
// ErrBadEncoding, or the reader's error.
func ReadBody(r *http.Request, maxBytes int64) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	if maxBytes > 0 && r.ContentLength > maxBytes {
		return nil, fmt.Errorf("%w: Content-Length %d exceeds the limit of %d bytes", ErrTooLarge, r.ContentLength, maxBytes)
	}
	var src io.Reader = r.Body
	if maxBytes > 0 {
		src = io.LimitReader(r.Body, maxBytes+1)
	}
	b, err := io.ReadAll(src)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, fmt.Errorf("%w: %w", ErrTooLarge, err)
		}
		return nil, fmt.Errorf("read request body: %w", err)
	}
	if maxBytes > 0 && int64(len(b)) > maxBytes {
		return nil, fmt.Errorf("%w: body exceeds the limit of %d bytes", ErrTooLarge, maxBytes)
	}
	return Decompress(b, r.Header.Get("Content-Encoding"), maxBytes)
}

// Decompress undoes encoding ("gzip", "x-gzip", "zstd", "deflate",
// "identity" or "") on b, refusing output over limit bytes (limit <= 0: no
// limit). With an empty encoding, gzip and zstd streams are recognised by
// their magic bytes; anything else is returned as it is.
func Decompress(b []byte, encoding string, limit int64) ([]byte, error) {
	enc := strings.ToLower(strings.TrimSpace(encoding))
	if enc == "" {
		switch {
		case bytes.HasPrefix(b, gzipMagic):
			enc = "gzip"
		case bytes.HasPrefix(b, zstdMagic):
			enc = "zstd"
		}
	}
	switch enc {
	case "", "identity":
		if limit > 0 && int64(len(b)) > limit {
			return nil, fmt.Errorf("%w: body of %d bytes exceeds the limit of %d bytes", ErrTooLarge, len(b), limit)
		}
		return b, nil
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("%w: cannot read gzip header: %w", ErrBadEncoding, err)
		}
		defer zr.Close()
		return readLimited(zr, enc, limit)
	case "zstd":
		opts := []zstd.DOption{zstd.WithDecoderConcurrency(1), zstd.WithDecoderLowmem(true)}
		if limit > 0 {
			// The window is the decoder's memory; a stream may declare one
			// larger than its content, so allow at least 8 MiB.
			window := max(min(uint64(limit)+1, zstd.MaxWindowSize), 8<<20)
			opts = append(opts, zstd.WithDecoderMaxWindow(window))
		}
		zr, err := zstd.NewReader(bytes.NewReader(b), opts...)
		if err != nil {
			return nil, fmt.Errorf("%w: cannot start zstd decoder: %w", ErrBadEncoding, err)
		}
		defer zr.Close()
		return readLimited(zr, enc, limit)
	case "deflate":
		// HTTP's "deflate" is zlib (RFC 1950); some clients send raw
		// deflate (RFC 1951): the zlib header tells them apart.
		if len(b) >= 2 && b[0]&0x0f == 8 && (uint16(b[0])<<8|uint16(b[1]))%31 == 0 {
			zr, err := zlib.NewReader(bytes.NewReader(b))
			if err != nil {
				return nil, fmt.Errorf("%w: cannot read zlib header: %w", ErrBadEncoding, err)
			}
			defer zr.Close()
			return readLimited(zr, enc, limit)
		}
		fr := flate.NewReader(bytes.NewReader(b))
		defer fr.Close()
		return readLimited(fr, enc, limit)
	default:
		return nil, fmt.Errorf("%w: unsupported Content-Encoding %q (want gzip, zstd, deflate or identity)", ErrBadEncoding, encoding)
	}
}

func readLimited(r io.Reader, enc string, limit int64) ([]byte, error) {
	src := r
	if limit > 0 {
		src = io.LimitReader(r, limit+1)
	}
	out, err := io.ReadAll(src)
	if limit > 0 && int64(len(out)) > limit {
		return nil, fmt.Errorf("%w: %s body decompresses to more than %d bytes", ErrTooLarge, enc, limit)
	}
	if err != nil {
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || errors.Is(err, zstd.ErrWindowSizeExceeded) {
			return nil, fmt.Errorf("%w: %s body decompresses to more than %d bytes: %w", ErrTooLarge, enc, limit, err)
		}
		return nil, fmt.Errorf("%w: corrupt %s stream: %w", ErrBadEncoding, enc, err)
	}
	return out, nil
}
