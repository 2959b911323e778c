package cli

import (
	"flag"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"time"

	"github.com/lore-dev/lore/internal/lifecycle"
	"github.com/lore-dev/lore/internal/objstore"
	"github.com/lore-dev/lore/internal/store/duckdb"
)

// archiveFlags configure the cold tier: a directory, or an S3-compatible
// bucket with a local cache.
type archiveFlags struct {
	target, cache, endpoint, region string
	cacheSize                       int64
	pathStyle                       bool
	retentionDays                   int
}

func (a *archiveFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&a.target, "archive", env("LORE_ARCHIVE", ""), "cold tier: write events leaving the store (retention, the disk watermark) as zstd Parquet to this directory, or to an S3-compatible bucket given as s3://bucket/prefix, where searches still find them; off by default (env LORE_ARCHIVE). A bucket's credentials come from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the AWS credentials file), never from a flag")
	fs.StringVar(&a.cache, "archive-cache", env("LORE_ARCHIVE_CACHE", ""), "with an s3:// --archive: the local directory caching the bucket's files (default DATA/archive-cache) (env LORE_ARCHIVE_CACHE)")
	a.cacheSize = 1 << 30
	if v := env("LORE_ARCHIVE_CACHE_SIZE", ""); v != "" {
		a.cacheSize, _ = lifecycle.ParseSize(v)
	}
	fs.Func("archive-cache-size", "with an s3:// --archive: keep at most this much of the bucket's files in the cache, evicting those read longest ago (default 1GiB; env LORE_ARCHIVE_CACHE_SIZE)", func(v string) (err error) {
		a.cacheSize, err = lifecycle.ParseSize(v)
		return err
	})
	fs.StringVar(&a.endpoint, "archive-endpoint", env("LORE_ARCHIVE_ENDPOINT", ""), "with an s3:// --archive: the S3-compatible server, http(s)://host[:port] (default AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS S3) (env LORE_ARCHIVE_ENDPOINT)")
	fs.StringVar(&a.region, "archive-region", env("LORE_ARCHIVE_REGION", ""), "with an s3:// --archive: the bucket's region (default AWS_REGION, AWS_DEFAULT_REGION, else us-east-1) (env LORE_ARCHIVE_REGION)")
	fs.BoolVar(&a.pathStyle, "archive-path-style", env("LORE_ARCHIVE_PATH_STYLE", "") == "true", "with an s3:// --archive: address the bucket as host/bucket/key (MinIO and the like; the default picks virtual hosts for AWS, path style elsewhere) (env LORE_ARCHIVE_PATH_STYLE=true)")
	days, _ := strconv.Atoi(env("LORE_ARCHIVE_RETENTION_DAYS", "0"))
	fs.IntVar(&a.retentionDays, "archive-retention-days", days, "delete archived days (files and the bucket's objects) older than this many days; 0 keeps them (env LORE_ARCHIVE_RETENTION_DAYS)")
}

// apply sets the store's cold tier. A bucket that cannot be reached does
// not stop the server: deletions then wait (the days stay in the hot
// store) and the store warns.
func (a *archiveFlags) apply(o *duckdb.Options, data string, log *slog.Logger) error {
	if a.retentionDays < 0 {
		return fmt.Errorf("--archive-retention-days %d: want 0 (keep) or more", a.retentionDays)
	}
	o.ArchiveRetention = time.Duration(a.retentionDays) * 24 * time.Hour
	if !objstore.IsURL(a.target) {
		o.ArchiveDir = a.target
		return nil
	}
	b, err := objstore.New(objstore.Config{URL: a.target, Endpoint: a.endpoint, Region: a.region, PathStyle: a.pathStyle})
	if err != nil {
		return fmt.Errorf("--archive: %w", err)
	}
	o.ArchiveBucket, o.ArchiveCacheBytes = b, a.cacheSize
	o.ArchiveDir = a.cache
	if o.ArchiveDir == "" {
		o.ArchiveDir = filepath.Join(data, "archive-cache")
	}
	// The store lists the bucket when it opens, and warns when it cannot.
	log.Info("cold tier in a bucket", "bucket", b.String(), "cache", o.ArchiveDir)
	return nil
}
