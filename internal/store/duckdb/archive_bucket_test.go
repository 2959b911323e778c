package duckdb

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lore-dev/lore/internal/analysis/events"
	"github.com/lore-dev/lore/internal/event"
	"github.com/lore-dev/lore/internal/objstore"
	"github.com/lore-dev/lore/internal/objstore/s3test"
	"github.com/lore-dev/lore/internal/query"
	"github.com/lore-dev/lore/internal/store"
)

// bucketFixture is a store whose cold tier is a bucket on a real
// S3-compatible server (s3rver), with its cache in its own directory.
type bucketFixture struct {
	t      *testing.T
	srv    *s3test.Server
	bucket *objstore.Bucket
	data   string // the store's directory
	cache  string // the archive directory (the bucket's cache)
	opts   Options
	s      *Store
	day0   time.Time
}

func newBucketFixture(t *testing.T, opts Options) *bucketFixture {
	t.Helper()
	srv := s3test.Start(t, "lore-archive")
	b, err := objstore.New(objstore.Config{URL: "s3://lore-archive/cold", Getenv: srv.Getenv, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	f := &bucketFixture{t: t, srv: srv, bucket: b, data: t.TempDir(), cache: filepath.Join(t.TempDir(), "cache"),
		day0: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	opts.MemoryLimit, opts.ArchiveDir, opts.ArchiveBucket = "256MB", f.cache, b
	f.opts = opts
	f.open()
	t.Cleanup(func() { f.s.Close() })
	return f
}

func (f *bucketFixture) open() {
	f.t.Helper()
	s, err := Open(context.Background(), f.data, f.opts, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	s.remote.grace = 0
	f.s = s
}

// restart closes the store and opens it again, with an empty cache when
// emptyCache.
func (f *bucketFixture) restart(emptyCache bool) {
	f.t.Helper()
	if err := f.s.Close(); err != nil {
		f.t.Fatal(err)
	}
	if emptyCache {
		os.RemoveAll(f.cache)
	}
	f.open()
}

// dropCachedFiles deletes the cache's Parquet files (not the listing).
func (f *bucketFixture) dropCachedFiles() {
	f.t.Helper()
	if err := os.RemoveAll(filepath.Join(f.cache, "project_id=1")); err != nil {
		f.t.Fatal(err)
	}
}

// appendDays stores 50 logs a day for days days from day0, by user-0..4.
func (f *bucketFixture) appendDays(days int) {
	f.t.Helper()
	var evs []event.Event
	for d := range days {
		for i := range 50 {
			user := fmt.Sprint("user-", i%5)
			evs = append(evs, event.Event{ProjectID: 1, Kind: event.KindLog, Service: "shop", UserID: user,
				TS:      f.day0.AddDate(0, 0, d).Add(time.Duration(i) * time.Minute).UnixMicro(),
				Message: fmt.Sprintf("checkout %d of day %d by %s", i, d, user)})
		}
	}
	if err := f.s.Append(context.Background(), store.Batch{Seq: 1, Events: evs}); err != nil {
		f.t.Fatal(err)
	}
}

// search counts the events a search from day0 finds, paging 30 at a time.
func (f *bucketFixture) search(q string) (int, error) {
	f.t.Helper()
	pq, err := query.Parse(q)
	if err != nil {
		f.t.Fatal(err)
	}
	n, cursor := 0, ""
	for {
		res, err := events.Reader{Ex: f.s}.Search(context.Background(), store.SearchRequest{ProjectID: 1, Range: store.Range{From: f.day0.UnixMicro(), To: f.day0.AddDate(0, 0, 5).UnixMicro()},
			Query: pq, Limit: 30, Cursor: cursor})
		if err != nil {
			return n, err
		}
		n += len(res.Events)
		if cursor = res.NextCursor; cursor == "" {
			return n, nil
		}
	}
}

func (f *bucketFixture) mustSearch(q string, want int, why string) {
	f.t.Helper()
	if n, err := f.search(q); err != nil || n != want {
		f.t.Fatalf("%s: search %q found %d events (%v), want %d", why, q, n, err, want)
	}
}

// objects lists the bucket's keys.
func (f *bucketFixture) objects() []string {
	f.t.Helper()
	objs, err := f.bucket.List(context.Background(), "")
	if err != nil {
		f.t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	slices.Sort(keys)
	return keys
}

// bucketRows counts, in the bucket's objects themselves (downloaded
// afresh), all rows and those of user.
func (f *bucketFixture) bucketRows(user string) (rows, theirs int64) {
	f.t.Helper()
	dir := f.t.TempDir()
	var files []string
	for i, k := range f.objects() {
		p := filepath.Join(dir, fmt.Sprint(i, ".parquet"))
		if err := f.bucket.Get(context.Background(), k, p); err != nil {
			f.t.Fatal(err)
		}
		files = append(files, p)
	}
	if len(files) == 0 {
		return 0, 0
	}
	if err := f.s.db.QueryRowContext(context.Background(), `SELECT count(*), count(*) FILTER (WHERE user_id = ?) FROM read_parquet(`+
		fmt.Sprintf("%s", quoteList(files))+`)`, user).Scan(&rows, &theirs); err != nil {
		f.t.Fatal(err)
	}
	return rows, theirs
}

func quoteList(files []string) string {
	out := "["
	for i, f := range files {
		if i > 0 {
			out += ", "
		}
		out += quoteSQL(f)
	}
	return out + "]"
}

func (f *bucketFixture) hotRows() int64 {
	f.t.Helper()
	var n int64
	if err := f.s.db.QueryRowContext(context.Background(), `SELECT count(*) FROM events`).Scan(&n); err != nil {
		f.t.Fatal(err)
	}
	return n
}

// TestArchiveBucketKeepsDaysSearchable moves two days of logs to a
// bucket: the objects are there, and searches, histograms and facets
// find the days with the cache emptied, after a restart with a new
// cache, and with the cached copies and a saved listing while the bucket
// is down (with neither, the search fails rather than missing them).
// The cache keeps to its size by evicting what was read longest ago.
func TestArchiveBucketKeepsDaysSearchable(t *testing.T) {
	ctx := context.Background()
	f := newBucketFixture(t, Options{ArchiveCacheBytes: 1})
	f.appendDays(4)
	if n, err := f.s.DeleteEvents(ctx, 1, event.KindLog, f.day0.AddDate(0, 0, 2).UnixMicro()); err != nil || n != 100 {
		t.Fatalf("deleted %d (%v), want 100", n, err)
	}
	keys := f.objects()
	if len(keys) != 2 || dayOfKey(keys[0]) != "2026-01-01" || dayOfKey(keys[1]) != "2026-01-02" {
		t.Fatalf("bucket holds %v, want one object for each of 2026-01-01 and 2026-01-02", keys)
	}
	if rows, _ := f.bucketRows(""); rows != 100 || f.hotRows() != 100 {
		t.Fatalf("bucket rows %d, hot rows %d; want 100 and 100", rows, f.hotRows())
	}
	f.dropCachedFiles()
	f.mustSearch("", 200, "cache emptied")
	f.mustSearch("user-3 checkout", 40, "cache emptied, words")
	hist, err := events.Reader{Ex: f.s}.Histogram(ctx, store.HistogramRequest{ProjectID: 1, Range: store.Range{From: f.day0.UnixMicro(), To: f.day0.AddDate(0, 0, 4).UnixMicro()}, Step: dayMicros})
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range hist.Buckets {
		if b.Count != 50 {
			t.Errorf("histogram day %d: %d events, want 50", i, b.Count)
		}
	}
	f.dropCachedFiles()
	facets, err := events.Reader{Ex: f.s}.Facets(ctx, store.FacetsRequest{ProjectID: 1, Range: store.Range{From: f.day0.UnixMicro(), To: f.day0.AddDate(0, 0, 4).UnixMicro()}, Field: "service"})
	if err != nil || facets.Total != 200 {
		t.Fatalf("facets total %d (%v), want 200", facets.Total, err)
	}

	// Eviction: a one-byte cache keeps only the files being read.
	day1 := store.Range{From: f.day0.AddDate(0, 0, 1).UnixMicro(), To: f.day0.AddDate(0, 0, 2).UnixMicro()}
	if files := archiveList(t, f.s, 1, day1); len(files) != 1 {
		t.Fatalf("day 1's files %v", files)
	}
	cached, _ := filepath.Glob(filepath.Join(f.cache, "project_id=1", "kind=log", "day=*", "*.parquet"))
	if len(cached) != 1 || dayOfKey(filepath.ToSlash(cached[0])) != "2026-01-02" {
		t.Errorf("the cache holds %v after reading day 2026-01-02 alone, want that day's file only", cached)
	}

	f.opts.ArchiveCacheBytes = 1 << 30 // from now on the cache keeps what it reads
	f.restart(true)
	f.mustSearch("", 200, "after a restart with an empty cache")

	// The bucket down: the cached copies and the saved listing serve.
	f.srv.Stop()
	f.restart(false)
	f.mustSearch("", 200, "bucket down, files cached")
	f.dropCachedFiles()
	if n, err := f.search(""); err == nil {
		t.Fatalf("bucket down, cache empty: the search found %d events and no error; want an error, not a silent miss", n)
	}
	f.srv.Restart()
	f.mustSearch("", 200, "bucket back")
}

// TestArchiveBucketFailedUploadKeepsDaysHot stops the server: the
// deletion fails with store.ErrArchive and leaves the days in the hot
// store, with no file or object of its own left behind; once the server
// is back the next run moves them, each event once.
func TestArchiveBucketFailedUploadKeepsDaysHot(t *testing.T) {
	ctx := context.Background()
	f := newBucketFixture(t, Options{})
	f.appendDays(4)
	cut := f.day0.AddDate(0, 0, 2).UnixMicro()
	f.srv.Stop()
	n, err := f.s.DeleteEvents(ctx, 1, event.KindLog, cut)
	if !errors.Is(err, store.ErrArchive) || n != 0 {
		t.Fatalf("deleting with the bucket down: %d, %v; want 0 and store.ErrArchive", n, err)
	}
	if f.hotRows() != 200 {
		t.Fatalf("%d hot rows after the failed upload, want all 200", f.hotRows())
	}
	if left, _ := filepath.Glob(filepath.Join(f.cache, "project_id=1", "kind=log", "day=*", "*.parquet")); len(left) != 0 {
		t.Fatalf("the failed deletion left %v in the cache", left)
	}
	f.mustSearch("", 200, "after the failed upload")
	f.srv.Restart()
	if n, err := f.s.DeleteEvents(ctx, 1, event.KindLog, cut); err != nil || n != 100 {
		t.Fatalf("the next run deleted %d (%v), want 100", n, err)
	}
	if rows, _ := f.bucketRows(""); rows != 100 || f.hotRows() != 100 {
		t.Fatalf("bucket rows %d, hot rows %d; want 100 and 100 (each event once)", rows, f.hotRows())
	}
	f.restart(true)
	f.mustSearch("", 200, "moved on the second run, cache emptied")
}

// TestArchiveBucketErase erases a person: their rows leave the bucket's
// objects (read back from the server), the others stay, and a search
// with an empty cache finds none of theirs.
func TestArchiveBucketErase(t *testing.T) {
	ctx := context.Background()
	f := newBucketFixture(t, Options{})
	f.appendDays(4)
	if _, err := f.s.DeleteEvents(ctx, 1, event.KindLog, f.day0.AddDate(0, 0, 2).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if rows, theirs := f.bucketRows("user-3"); rows != 100 || theirs != 20 {
		t.Fatalf("bucket before erasing: %d rows, %d of user-3; want 100, 20", rows, theirs)
	}
	f.dropCachedFiles() // erase must reach objects not cached too
	erased, err := f.s.ErasePerson(ctx, 1, "user-3")
	if err != nil || erased.Events != 40 {
		t.Fatalf("erased %+v (%v), want 40 events (20 hot, 20 archived)", erased, err)
	}
	if rows, theirs := f.bucketRows("user-3"); rows != 80 || theirs != 0 {
		t.Fatalf("bucket after erasing: %d rows, %d of user-3; want 80, 0", rows, theirs)
	}
	f.restart(true)
	f.mustSearch("user-3", 0, "erased, cache emptied")
	f.mustSearch("", 160, "erased, cache emptied")
}

// TestArchiveBucketRetention removes the days beyond the archive's own
// retention: their objects leave the bucket and their files the cache,
// and a search no longer finds them; younger days stay.
func TestArchiveBucketRetention(t *testing.T) {
	ctx := context.Background()
	f := newBucketFixture(t, Options{ArchiveRetention: 24 * time.Hour})
	f.appendDays(4)
	if _, err := f.s.DeleteEvents(ctx, 1, event.KindLog, f.day0.AddDate(0, 0, 2).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	f.mustSearch("", 200, "archived") // caches both days
	n, err := f.s.ExpireArchive(ctx, f.day0.AddDate(0, 0, 2).Add(time.Hour))
	if err != nil || n != 2 { // the day's file and its object
		t.Fatalf("expired %d (%v), want 2", n, err)
	}
	if keys := f.objects(); len(keys) != 1 || dayOfKey(keys[0]) != "2026-01-02" {
		t.Fatalf("bucket after the archive's retention: %v, want 2026-01-02's object alone", keys)
	}
	if old, _ := filepath.Glob(filepath.Join(f.cache, "project_id=1", "kind=log", "day=2026-01-01")); len(old) != 0 {
		t.Errorf("cache still holds %v", old)
	}
	f.mustSearch("", 150, "after the archive's retention")
	f.restart(true)
	f.mustSearch("", 150, "after the archive's retention and a restart")
}

// TestArchiveBucketCrashBeforeCommit does what a deletion does up to its
// commit — note the run, write its files, upload them — and stops there,
// as a crash would: the next Open undoes the run (its objects and files
// go; the rows are still hot), so each event is found once. A run noted
// but committed (a crash after the commit, before the note went) stays.
func TestArchiveBucketCrashBeforeCommit(t *testing.T) {
	ctx := context.Background()
	f := newBucketFixture(t, Options{})
	f.appendDays(4)
	cut := f.day0.AddDate(0, 0, 2).UnixMicro()
	f.s.mu.Lock()
	err := f.s.notePending(1, event.KindLog, "crashed")
	if err == nil {
		_, err = f.s.archiveEvents(ctx, 1, event.KindLog, cut, "crashed")
	}
	if err == nil {
		_, err = f.s.uploadRun(ctx, 1, event.KindLog, "crashed")
	}
	f.s.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if keys := f.objects(); len(keys) != 2 {
		t.Fatalf("bucket holds %v before the crash, want the run's 2 objects", keys)
	}
	f.restart(false)
	if keys := f.objects(); len(keys) != 0 {
		t.Fatalf("bucket holds %v after reopening, want the interrupted run undone", keys)
	}
	if left, _ := filepath.Glob(filepath.Join(f.cache, "project_id=1", "kind=log", "day=*", "*.parquet")); len(left) != 0 {
		t.Fatalf("cache holds %v after reopening", left)
	}
	f.mustSearch("", 200, "after the interrupted run was undone")

	if n, err := f.s.DeleteEvents(ctx, 1, event.KindLog, cut); err != nil || n != 100 {
		t.Fatalf("deleted %d (%v), want 100", n, err)
	}
	keys := f.objects()
	if len(keys) != 2 {
		t.Fatalf("bucket holds %v", keys)
	}
	if notes, _ := filepath.Glob(filepath.Join(f.cache, pendingDir, "*.json")); len(notes) != 0 {
		t.Fatalf("a committed deletion left its note: %v", notes)
	}
	// The same run noted again, as if the crash came after the commit.
	base := keys[0][strings.LastIndex(keys[0], "/")+1:]
	run := strings.SplitN(strings.TrimPrefix(base, "part-"), "-", 2)[0]
	if _, err := f.s.db.ExecContext(ctx, `INSERT INTO archive_runs VALUES (?)`, run); err != nil {
		t.Fatal(err)
	}
	if err := f.s.notePending(1, event.KindLog, run); err != nil {
		t.Fatal(err)
	}
	f.restart(false)
	if keys := f.objects(); len(keys) != 2 {
		t.Fatalf("bucket holds %v after reopening with a committed run noted, want its 2 objects", keys)
	}
	f.mustSearch("", 200, "a committed run kept")
}
