package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/objstore"
	"github.com/lore-dev/lore/internal/objstore/s3test"
)

// TestColdTierInABucket runs `lore serve --archive s3://bucket/prefix`
// against a real S3-compatible server (s3rver on loopback), configured
// by the standard AWS_* variables: after a restart, retention moves the
// 45-day-old logs to the bucket, and a search reaching back that far
// finds them with the local cache emptied; the log never shows the
// secret key.
func TestColdTierInABucket(t *testing.T) {
	srv := s3test.Start(t, "lore-e2e")
	for k, v := range srv.Env() {
		t.Setenv(k, v)
	}
	data, cache := t.TempDir(), filepath.Join(t.TempDir(), "cache")
	args := []string{"--archive", "s3://lore-e2e/cold", "--archive-cache", cache}
	p := startLore(t, data, args...)
	today := time.Now().UTC().Truncate(24 * time.Hour)
	old, recent := today.AddDate(0, 0, -45), today.AddDate(0, 0, -1)
	ingestDay(t, p.url, old, 3000, "info")
	ingestDay(t, p.url, recent, 2000, "info")
	waitLoaded(t, p.url)
	p.signal(syscall.SIGTERM)

	// Retention runs as the server starts: the old day goes to the bucket.
	p = startLore(t, data, args...)
	b, err := objstore.New(objstore.Config{URL: "s3://lore-e2e/cold", Getenv: srv.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	prefix := "project_id=1/kind=log/day=" + old.Format(time.DateOnly) + "/"
	var objs []objstore.Object
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		if objs, err = b.List(context.Background(), prefix); err == nil && len(objs) > 0 {
			break
		}
	}
	if len(objs) != 1 {
		t.Fatalf("bucket objects under %s: %v (%v), want one\n%s", prefix, objs, err, p.log())
	}
	from := old.AddDate(0, 0, -1).Format(time.RFC3339)
	// Wait for the deletion to commit (the object is put before it).
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline) && !strings.Contains(p.log(), "retention deleted old events"); {
		time.Sleep(200 * time.Millisecond)
	}
	if err := os.RemoveAll(filepath.Join(cache, "project_id=1")); err != nil {
		t.Fatal(err)
	}
	if total, archived, _ := searchBack(t, p.url, from, recent); total != 5000 || archived != 3000 {
		t.Errorf("a search reaching back 45 days, the cache emptied, found %d events (%d archived), want 5000 (3000)", total, archived)
	}
	if cached, _ := filepath.Glob(filepath.Join(cache, "project_id=1", "kind=log", "day=*", "*.parquet")); len(cached) != 1 {
		t.Errorf("the cache holds %v after the search, want the fetched day", cached)
	}
	if strings.Contains(p.log(), s3test.SecretKey) {
		t.Errorf("the server log shows the secret key:\n%s", p.log())
	}
}
