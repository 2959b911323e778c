package duckdb

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/lore-dev/lore/internal/objstore"
)

// The cold tier in a bucket. With Options.ArchiveBucket, the archive
// directory is a cache of the bucket: a deletion writes the day's
// Parquet files there, uploads them, and only then deletes the hot rows
// (a failed upload fails the deletion, which is retried at the next
// run); the bucket's listing, kept in memory and saved in the cache as
// manifestFile, says which days exist; reading a day whose files are not
// cached fetches them; the cache is kept under Options.ArchiveCacheBytes
// by evicting the files read longest ago (those in the bucket only).
// Erasing a person rewrites each file that holds them, uploads it over
// its object and then replaces the cached copy; the archive's retention
// (ExpireArchive) removes objects and files.

// ArchiveBucket is the cold tier's bucket (*objstore.Bucket). Keys are
// the archive directory's relative paths, with slashes.
type ArchiveBucket interface {
	Put(ctx context.Context, key, file string) error
	Get(ctx context.Context, key, file string) error
	List(ctx context.Context, prefix string) ([]objstore.Object, error)
	Remove(ctx context.Context, key string) error
}

var _ ArchiveBucket = (*objstore.Bucket)(nil)

// manifestFile, in the archive directory, is the last known listing of
// the bucket, read when the bucket cannot be listed, and the keys still
// to remove from it (a failed deletion's uploads).
const manifestFile = "bucket-manifest.json"

// listAgain is how long after a failed listing the bucket is listed again.
const listAgain = 30 * time.Second

type manifest struct {
	Objects map[string]int64 `json:"objects"`           // key → size
	Orphans []string         `json:"orphans,omitempty"` // to remove: not part of the archive
}

// remoteArchive is the bucket's state (archive_bucket.go).
type remoteArchive struct {
	b     ArchiveBucket
	dir   string
	limit int64         // the cache's bytes
	grace time.Duration // files read this recently are not evicted
	log   *slog.Logger

	mu       sync.Mutex
	m        manifest
	listed   bool      // m.Objects is the bucket's listing (or was built on it)
	triedAt  time.Time // last failed listing
	haveSave bool      // a saved manifest was read
	used     map[string]time.Time
	fetchMu  sync.Mutex // one download at a time
}

func newRemoteArchive(b ArchiveBucket, dir string, limit int64, grace time.Duration, log *slog.Logger) *remoteArchive {
	r := &remoteArchive{b: b, dir: dir, limit: limit, grace: grace, log: log, m: manifest{Objects: map[string]int64{}}, used: map[string]time.Time{}}
	if data, err := os.ReadFile(filepath.Join(dir, manifestFile)); err == nil {
		var m manifest
		if err := json.Unmarshal(data, &m); err != nil {
			log.Warn("the archive's saved bucket listing is unreadable; listing the bucket", "file", filepath.Join(dir, manifestFile), "err", err)
		} else {
			if m.Objects == nil {
				m.Objects = map[string]int64{}
			}
			r.m, r.haveSave = m, true
		}
	}
	return r
}

// path is a key's file in the cache.
func (r *remoteArchive) path(key string) string { return filepath.Join(r.dir, filepath.FromSlash(key)) }

// keyOf is a cached file's key.
func (r *remoteArchive) keyOf(path string) (string, error) {
	rel, err := filepath.Rel(r.dir, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return "", fmt.Errorf("archive file %q is outside %q", path, r.dir)
	}
	return filepath.ToSlash(rel), nil
}

// save writes the manifest (the caller holds r.mu).
func (r *remoteArchive) save() {
	data, err := json.Marshal(r.m)
	if err == nil {
		if err = os.MkdirAll(r.dir, 0o755); err == nil {
			tmp := filepath.Join(r.dir, manifestFile+".tmp")
			if err = os.WriteFile(tmp, data, 0o644); err == nil {
				err = os.Rename(tmp, filepath.Join(r.dir, manifestFile))
			}
		}
	}
	if err != nil {
		r.log.Warn("cannot save the bucket's listing in the archive cache", "dir", r.dir, "err", err)
	}
}

// ensureListed lists the bucket once (and after a failure, again at
// most every listAgain); when it cannot, the saved listing serves,
// and without one it is an error. It removes orphans first.
func (r *remoteArchive) ensureListed(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.listed {
		return nil
	}
	if !r.triedAt.IsZero() && time.Since(r.triedAt) < listAgain {
		if r.haveSave {
			return nil
		}
		return fmt.Errorf("the archive's bucket could not be listed %s ago (tried again after %s)", time.Since(r.triedAt).Round(time.Second), listAgain)
	}
	r.removeOrphansLocked(ctx)
	objs, err := r.b.List(ctx, "project_id=")
	if err != nil {
		r.triedAt = time.Now()
		if r.haveSave {
			r.log.Warn("cannot list the archive's bucket; using its last saved listing", "err", err)
			return nil
		}
		return fmt.Errorf("list the archive's bucket: %w", err)
	}
	orphan := map[string]bool{}
	for _, k := range r.m.Orphans {
		orphan[k] = true
	}
	r.m.Objects = map[string]int64{}
	for _, o := range objs {
		if strings.HasSuffix(o.Key, ".parquet") && !orphan[o.Key] {
			r.m.Objects[o.Key] = o.Size
		}
	}
	r.listed, r.haveSave = true, true
	r.save()
	return nil
}

// removeOrphansLocked removes the keys a failed deletion uploaded.
func (r *remoteArchive) removeOrphansLocked(ctx context.Context) {
	if len(r.m.Orphans) == 0 {
		return
	}
	var left []string
	for _, k := range r.m.Orphans {
		if err := r.b.Remove(ctx, k); err != nil {
			left = append(left, k)
		}
	}
	if len(left) != len(r.m.Orphans) {
		r.m.Orphans = left
		r.save()
	}
}

// keys lists the bucket's keys of a project's days from..to
// (YYYY-MM-DD, inclusive), sorted.
func (r *remoteArchive) keys(ctx context.Context, project int64, from, to string) ([]string, error) {
	if err := r.ensureListed(ctx); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	prefix := fmt.Sprintf("project_id=%d/", project)
	var out []string
	for k := range r.m.Objects {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok {
			continue
		}
		if d := dayOfKey(rest); d != "" && d >= from && d <= to {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, nil
}

// dayOfKey is the day=… element of a key (or "").
func dayOfKey(k string) string {
	for _, e := range strings.Split(k, "/") {
		if d, ok := strings.CutPrefix(e, "day="); ok {
			return d
		}
	}
	return ""
}

// fetch makes sure the keys are in the cache, downloading those that
// are not, and marks them read now.
func (r *remoteArchive) fetch(ctx context.Context, keys []string) error {
	now := time.Now()
	var missing []string
	r.mu.Lock()
	for _, k := range keys {
		r.used[k] = now
	}
	r.mu.Unlock()
	for _, k := range keys {
		if !fileExists(r.path(k)) {
			missing = append(missing, k)
		}
	}
	if len(missing) == 0 {
		r.evict(keys)
		return nil
	}
	r.fetchMu.Lock()
	defer r.fetchMu.Unlock()
	for _, k := range missing {
		p := r.path(k)
		if fileExists(p) { // fetched meanwhile
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("fetch %q from the archive's bucket: %w", k, err)
		}
		if err := r.b.Get(ctx, k, p); err != nil {
			return err
		}
	}
	r.evict(keys)
	return nil
}

// upload puts the files into the bucket, and returns the keys it put.
func (r *remoteArchive) upload(ctx context.Context, files []string) ([]string, error) {
	if err := r.ensureListed(ctx); err != nil {
		return nil, err
	}
	var put []string
	for _, f := range files {
		k, err := r.keyOf(f)
		if err != nil {
			return put, err
		}
		if err := r.b.Put(ctx, k, f); err != nil {
			return put, err
		}
		put = append(put, k)
		size := int64(0)
		if fi, err := os.Stat(f); err == nil {
			size = fi.Size()
		}
		r.mu.Lock()
		r.m.Objects[k] = size
		r.used[k] = time.Now()
		r.mu.Unlock()
	}
	r.mu.Lock()
	r.save()
	r.mu.Unlock()
	r.evict(nil)
	return put, nil
}

// forget removes keys from the bucket (and the listing); those it cannot
// remove are kept as orphans, removed at the next listing.
func (r *remoteArchive) forget(ctx context.Context, keys []string) error {
	var errs []error
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, k := range keys {
		delete(r.m.Objects, k)
		delete(r.used, k)
		if err := r.b.Remove(ctx, k); err != nil {
			r.m.Orphans = append(r.m.Orphans, k)
			r.listed = false // list again, without them, once they are gone
			errs = append(errs, err)
		}
	}
	r.save()
	return errors.Join(errs...)
}

// forgetMatching removes from the bucket (forget) every key that match
// accepts, listing the bucket first when needed; it returns how many.
func (r *remoteArchive) forgetMatching(ctx context.Context, match func(key string) bool) (int, error) {
	if err := r.ensureListed(ctx); err != nil {
		return 0, err
	}
	r.mu.Lock()
	var keys []string
	for k := range r.m.Objects {
		if match(k) {
			keys = append(keys, k)
		}
	}
	r.mu.Unlock()
	slices.Sort(keys)
	return len(keys), r.forget(ctx, keys)
}

// evict removes cached files of the bucket's objects, read longest ago
// first, until the cache holds at most limit bytes of them; never keep
// nor those read within grace.
func (r *remoteArchive) evict(keep []string) {
	type cached struct {
		key  string
		size int64
		used time.Time
	}
	kept := map[string]bool{}
	for _, k := range keep {
		kept[k] = true
	}
	r.mu.Lock()
	var files []cached
	var total int64
	for k := range r.m.Objects {
		fi, err := os.Stat(r.path(k))
		if err != nil {
			continue
		}
		u, ok := r.used[k]
		if !ok {
			u = fi.ModTime()
		}
		files = append(files, cached{k, fi.Size(), u})
		total += fi.Size()
	}
	r.mu.Unlock()
	if total <= r.limit {
		return
	}
	slices.SortFunc(files, func(a, b cached) int { return a.used.Compare(b.used) })
	for _, f := range files {
		if total <= r.limit {
			break
		}
		if kept[f.key] || time.Since(f.used) < r.grace {
			continue
		}
		if err := os.Remove(r.path(f.key)); err != nil {
			r.log.Warn("cannot evict a file from the archive cache", "key", f.key, "err", err)
			continue
		}
		total -= f.size
	}
}

// runKeys lists the bucket's keys of one archive run (resolvePending).
func (r *remoteArchive) runKeys(ctx context.Context, project int64, kind, run string) []string {
	if err := r.ensureListed(ctx); err != nil {
		r.log.Warn("cannot list the archive's bucket to undo an interrupted run", "run", run, "err", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	prefix := fmt.Sprintf("project_id=%d/kind=%s/", project, kind)
	var out []string
	for k := range r.m.Objects {
		if strings.HasPrefix(k, prefix) && strings.HasPrefix(k[strings.LastIndex(k, "/")+1:], "part-"+run+"-") {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
