package objstore_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/objstore"
	"github.com/lore-dev/lore/internal/objstore/s3test"
)

func TestParseURL(t *testing.T) {
	for _, c := range []struct{ in, bucket, prefix string }{
		{"s3://lore", "lore", ""},
		{"s3://lore/", "lore", ""},
		{"s3://lore/a/b/", "lore", "a/b"},
	} {
		b, p, err := objstore.ParseURL(c.in)
		if err != nil || b != c.bucket || p != c.prefix {
			t.Errorf("ParseURL(%q) = %q, %q, %v; want %q, %q", c.in, b, p, err, c.bucket, c.prefix)
		}
	}
	for _, bad := range []string{"/tmp/x", "s3://", "s3://a", "s3://lore/a//b", "s3://lore/../x"} {
		if _, _, err := objstore.ParseURL(bad); err == nil || !strings.Contains(err.Error(), bad) {
			t.Errorf("ParseURL(%q) = %v, want an error quoting it", bad, err)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"s3://lore/a", "s3://x", "s3://lore/../", "file:///"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b, p, err := objstore.ParseURL(s)
		if err != nil {
			return
		}
		if b == "" || strings.Contains(b, "/") || strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
			t.Fatalf("ParseURL(%q) = %q, %q", s, b, p)
		}
	})
}

// TestBucketRoundTrip puts, lists, fetches and removes files on a real
// S3-compatible server (s3rver), and fails cleanly when it is gone.
func TestBucketRoundTrip(t *testing.T) {
	srv := s3test.Start(t, "lore-test")
	b, err := objstore.New(objstore.Config{URL: "s3://lore-test/archive/", Getenv: srv.Getenv, PathStyle: true, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(b.String(), s3test.SecretKey) {
		t.Fatalf("String() shows the secret: %s", b)
	}
	ctx := context.Background()
	if err := b.Check(ctx); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "a.parquet")
	want := bytes.Repeat([]byte("lore "), 100_000)
	if err := os.WriteFile(src, want, 0o644); err != nil {
		t.Fatal(err)
	}
	key := "project_id=1/kind=log/day=2026-11-01/part-x.parquet"
	if err := b.Put(ctx, key, src); err != nil {
		t.Fatal(err)
	}
	objs, err := b.List(ctx, "project_id=1/")
	if err != nil || len(objs) != 1 || objs[0].Key != key || objs[0].Size != int64(len(want)) {
		t.Fatalf("List = %v, %v; want %s of %d bytes", objs, err, key, len(want))
	}
	// The prefix is where it lands on the server.
	if _, err := os.Stat(srv.Dir()); err != nil {
		t.Fatal(err)
	}
	got := filepath.Join(dir, "b.parquet")
	if err := b.Get(ctx, key, got); err != nil {
		t.Fatal(err)
	}
	if data, _ := os.ReadFile(got); !bytes.Equal(data, want) {
		t.Fatalf("fetched %d bytes, want %d", len(data), len(want))
	}
	if err := b.Remove(ctx, key); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, key); err != nil {
		t.Fatalf("removing a missing key: %v", err)
	}
	if objs, err := b.List(ctx, ""); err != nil || len(objs) != 0 {
		t.Fatalf("after Remove: %v, %v", objs, err)
	}
	srv.Stop()
	start := time.Now()
	if err := b.Put(ctx, key, src); err == nil || !strings.Contains(err.Error(), src) {
		t.Fatalf("Put with the server stopped = %v", err)
	}
	if time.Since(start) > 20*time.Second {
		t.Fatalf("a failed Put took %v", time.Since(start))
	}
	srv.Restart()
	if err := b.Put(ctx, key, src); err != nil {
		t.Fatalf("after restart: %v", err)
	}
}
