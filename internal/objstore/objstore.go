// Package objstore is the cold tier's S3-compatible bucket: a thin
// wrapper over the MinIO client that puts, fetches, lists and removes
// the archive's Parquet files under a key prefix, each request under its
// own deadline. It speaks to AWS S3, MinIO, Cloudflare R2, Ceph and the
// like; credentials come from the standard AWS_* variables or the AWS
// credentials file, never from the command line, and are never logged.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// Config says which bucket to use and how to reach it.
type Config struct {
	// URL is s3://bucket or s3://bucket/prefix.
	URL string
	// Endpoint is the server: https://host[:port] or http://host[:port]
	// (a bare host:port is https). Empty: AWS_ENDPOINT_URL_S3,
	// AWS_ENDPOINT_URL, else AWS S3 itself.
	Endpoint string
	// Region, empty: AWS_REGION, AWS_DEFAULT_REGION, else us-east-1.
	Region string
	// PathStyle asks for http://host/bucket/key addressing (MinIO-likes);
	// otherwise the client chooses (virtual hosts for AWS, path style
	// elsewhere).
	PathStyle bool
	// Timeout is each request's deadline; default one minute.
	Timeout time.Duration
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
}

// IsURL tells whether s names a bucket (s3://…) rather than a directory.
func IsURL(s string) bool { return strings.HasPrefix(s, "s3://") }

// ParseURL splits s3://bucket/prefix into the bucket and the prefix
// (without slashes at its ends).
func ParseURL(s string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(s, "s3://")
	if !ok {
		return "", "", fmt.Errorf("bucket URL %q: want s3://bucket[/prefix]", s)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	prefix = strings.Trim(prefix, "/")
	if bucket == "" || len(bucket) < 3 || len(bucket) > 63 || strings.ContainsAny(bucket, " ?#\\") {
		return "", "", fmt.Errorf("bucket URL %q: bad bucket name %q", s, bucket)
	}
	if strings.Contains(prefix, "//") || strings.Contains(prefix, "..") {
		return "", "", fmt.Errorf("bucket URL %q: bad prefix %q", s, prefix)
	}
	return bucket, prefix, nil
}

// Bucket is one bucket and key prefix on an S3-compatible server.
type Bucket struct {
	client   *minio.Client
	bucket   string
	prefix   string // "" or "a/b/"
	endpoint string
	timeout  time.Duration
}

// Object is a listed object: its key (below the prefix) and size.
type Object struct {
	Key  string
	Size int64
}

// New builds a Bucket from cfg. It does not reach the server: the first
// request does (Check).
func New(cfg Config) (*Bucket, error) {
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	bucket, prefix, err := ParseURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	endpoint := firstOf(cfg.Endpoint, getenv("AWS_ENDPOINT_URL_S3"), getenv("AWS_ENDPOINT_URL"), "https://s3.amazonaws.com")
	if !strings.Contains(endpoint, "://") {
		endpoint = "https://" + endpoint
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("bucket endpoint %q: want http(s)://host[:port]", endpoint)
	}
	region := firstOf(cfg.Region, getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"), "us-east-1")
	lookup := minio.BucketLookupAuto
	if cfg.PathStyle {
		lookup = minio.BucketLookupPath
	}
	creds := credentials.NewChainCredentials([]credentials.Provider{
		&envAWS{getenv: getenv},
		&credentials.FileAWSCredentials{Profile: getenv("AWS_PROFILE")},
	})
	client, err := minio.New(u.Host, &minio.Options{Creds: creds, Secure: u.Scheme == "https", Region: region, BucketLookup: lookup,
		MaxRetries: 3}) // a server down fails fast; the next run tries again
	if err != nil {
		return nil, fmt.Errorf("bucket %q at %q: %w", cfg.URL, endpoint, err)
	}
	if prefix != "" {
		prefix += "/"
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = time.Minute
	}
	return &Bucket{client: client, bucket: bucket, prefix: prefix, endpoint: u.Scheme + "://" + u.Host, timeout: timeout}, nil
}

// envAWS reads the standard AWS_* credentials through getenv.
type envAWS struct {
	getenv func(string) string
}

func (e *envAWS) Retrieve() (credentials.Value, error) {
	return e.RetrieveWithCredContext(nil)
}

func (e *envAWS) RetrieveWithCredContext(*credentials.CredContext) (credentials.Value, error) {
	id := firstOf(e.getenv("AWS_ACCESS_KEY_ID"), e.getenv("AWS_ACCESS_KEY"))
	secret := firstOf(e.getenv("AWS_SECRET_ACCESS_KEY"), e.getenv("AWS_SECRET_KEY"))
	if id == "" || secret == "" {
		return credentials.Value{}, errors.New("AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY not set")
	}
	return credentials.Value{AccessKeyID: id, SecretAccessKey: secret, SessionToken: e.getenv("AWS_SESSION_TOKEN"), SignerType: credentials.SignatureV4}, nil
}

func (e *envAWS) IsExpired() bool { return false }

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// String names the bucket for logs and errors (no credentials).
func (b *Bucket) String() string {
	return "s3://" + b.bucket + "/" + b.prefix + " at " + b.endpoint
}

func (b *Bucket) key(k string) string { return b.prefix + k }

// Check tells whether the bucket exists and the credentials may read it.
func (b *Bucket) Check(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	ok, err := b.client.BucketExists(ctx, b.bucket)
	if err != nil {
		return fmt.Errorf("bucket %s: %w", b, err)
	}
	if !ok {
		return fmt.Errorf("bucket %s does not exist", b)
	}
	return nil
}

// Put uploads the local file file as key.
func (b *Bucket) Put(ctx context.Context, key, file string) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if _, err := b.client.FPutObject(ctx, b.bucket, b.key(key), file, minio.PutObjectOptions{
		ContentType: "application/vnd.apache.parquet",
		// A plain body with its MD5, which every S3-compatible server
		// checks; the chunked signed upload is not understood by all.
		SendContentMd5: true, DisableContentSha256: true,
	}); err != nil {
		return fmt.Errorf("upload %q to %s as %q: %w", file, b, key, err)
	}
	return nil
}

// Get downloads key into the local file file, whole or not at all (the
// client writes beside it and renames).
func (b *Bucket) Get(ctx context.Context, key, file string) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if err := b.client.FGetObject(ctx, b.bucket, b.key(key), file, minio.GetObjectOptions{}); err != nil {
		return fmt.Errorf("fetch %q from %s into %q: %w", key, b, file, err)
	}
	return nil
}

// List lists the objects whose keys begin with prefix, recursively.
func (b *Bucket) List(ctx context.Context, prefix string) ([]Object, error) {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	var out []Object
	for o := range b.client.ListObjects(ctx, b.bucket, minio.ListObjectsOptions{Prefix: b.key(prefix), Recursive: true}) {
		if o.Err != nil {
			return nil, fmt.Errorf("list %s under %q: %w", b, prefix, o.Err)
		}
		out = append(out, Object{Key: strings.TrimPrefix(o.Key, b.prefix), Size: o.Size})
	}
	return out, nil
}

// Remove deletes key (a missing key is no error).
func (b *Bucket) Remove(ctx context.Context, key string) error {
	ctx, cancel := context.WithTimeout(ctx, b.timeout)
	defer cancel()
	if err := b.client.RemoveObject(ctx, b.bucket, b.key(key), minio.RemoveObjectOptions{}); err != nil {
		var r minio.ErrorResponse
		if errors.As(err, &r) && r.Code == "NoSuchKey" {
			return nil
		}
		return fmt.Errorf("remove %q from %s: %w", key, b, err)
	}
	return nil
}

// Join makes a key of path elements with slashes.
func Join(elem ...string) string { return path.Join(elem...) }
