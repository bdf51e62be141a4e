package storage

import (
	"context"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"gocloud.dev/blob/memblob"
)

// Open opens the bucket root at rawURL:
//   - "file:///abs/dir", or a plain path ("./data", "data/x", "/abs"): a local folder, created if missing;
//   - "mem://name": an in-memory bucket (tests; each Open is a new, empty one);
//   - "s3://bucket/prefix?endpoint=...&region=...&use_path_style=true&profile=...".
//
// The returned bucket's keys are relative to the URL's path or prefix.
func Open(ctx context.Context, rawURL string, cfg Config) (*Bucket, error) {
	u, err := parseURL(rawURL)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "file":
		return openFile(u.Path)
	case "mem":
		return &Bucket{b: memblob.OpenBucket(nil), url: u.String(), owner: true}, nil
	case "s3":
		return openS3(ctx, u, cfg.S3)
	}
	return nil, badURL(rawURL, "unsupported scheme %q (want file://, mem:// or s3://)", u.Scheme)
}

// Sub returns the bucket rooted at prefix inside b. It shares b's
// connection: b stays usable and must outlive it.
func (b *Bucket) Sub(prefix string) (*Bucket, error) {
	prefix = strings.Trim(prefix, "/")
	if err := ValidateKey(prefix); err != nil {
		return nil, b.wrap("open", prefix, err)
	}
	sub := &Bucket{b: b.b, prefix: b.prefix + prefix + "/", url: b.KeyURL(prefix)}
	if b.link != nil {
		sub.link = &linkCommitter{dir: filepath.Join(b.link.dir, filepath.FromSlash(prefix))}
	}
	return sub, nil
}

// parseURL turns plain paths into file:// URLs with absolute paths.
func parseURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, badURL(raw, "empty URL")
	}
	if !strings.Contains(raw, "://") {
		abs, err := filepath.Abs(raw)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", raw, err)
		}
		return &url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, badURL(raw, "%v", err)
	}
	if u.Scheme == "file" && u.Host != "" && u.Host != "localhost" {
		return nil, badURL(raw, "file URLs must be file:///absolute/path (host %q given)", u.Host)
	}
	return u, nil
}
