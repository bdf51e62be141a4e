package storage_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stackae/stackae/storage"
	"github.com/stackae/stackae/storage/s3test"
	"github.com/stackae/stackae/storage/storagetest"
)

var ctx = context.Background()

func mustOpen(t *testing.T, url string, cfg storage.Config) *storage.Bucket {
	t.Helper()
	b, err := storage.Open(ctx, url, cfg)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	return b
}

func TestConformanceMem(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) *storage.Bucket {
		return mustOpen(t, "mem://", storage.DefaultConfig())
	})
}

func TestConformanceFile(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) *storage.Bucket {
		return mustOpen(t, "file://"+filepath.ToSlash(t.TempDir())+"/root", storage.DefaultConfig())
	})
}

func TestConformanceFileRelativePath(t *testing.T) {
	t.Chdir(t.TempDir())
	storagetest.Run(t, func(t *testing.T) *storage.Bucket {
		return mustOpen(t, "./data/"+strings.ReplaceAll(t.Name(), "/", "_"), storage.DefaultConfig())
	})
}

func runS3(t *testing.T, tls bool) {
	srv := s3test.Start(t, s3test.Options{TLS: tls})
	n := 0
	storagetest.Run(t, func(t *testing.T) *storage.Bucket {
		n++
		url := srv.CreateBucket(t, fmt.Sprintf("conf-%d", n)) + "/some/prefix"
		return mustOpen(t, url, srv.Config())
	})
}

func TestConformanceS3(t *testing.T)      { runS3(t, false) }
func TestConformanceS3HTTPS(t *testing.T) { runS3(t, true) }

func TestS3Errors(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{})
	bucket := srv.CreateBucket(t, "errs")
	wrongKey := srv.Config()
	wrongKey.S3.SecretAccessKey = "not-the-secret"
	unreachable := srv.Config()
	unreachable.S3.Endpoint = "http://127.0.0.1:1"
	noTrust := srv.Config()
	tests := []struct {
		name, url string
		cfg       storage.Config
		is        error
		contains  string
	}{
		{"missing bucket", "s3://no-such-bucket/x", srv.Config(), storage.ErrNotFound, "s3://no-such-bucket"},
		{"wrong secret", bucket, wrongKey, storage.ErrDenied, "credentials refused"},
		{"unreachable endpoint", bucket, unreachable, nil, "endpoint unreachable"},
		{"unknown URL parameter", bucket + "?endpiont=x", srv.Config(), storage.ErrBadURL, `unknown s3 URL parameter "endpiont"`},
		{"bad endpoint", bucket + "?endpoint=localhost", noTrust, storage.ErrBadURL, "storage.s3.endpoint"},
		{"no bucket name", "s3:///prefix", srv.Config(), storage.ErrBadURL, "missing bucket name"},
		{"unsupported scheme", "gs://b", srv.Config(), storage.ErrBadURL, "unsupported scheme"},
		{"credentials in URL", "s3://ak:sk@b/x", srv.Config(), storage.ErrBadURL, "credentials in the URL"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			_, err := storage.Open(ctx, tc.url, tc.cfg)
			if err == nil {
				t.Fatal("Open succeeded")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q does not contain %q", err, tc.contains)
			}
			if strings.Contains(err.Error(), srv.SecretKey) || strings.Contains(err.Error(), "not-the-secret") {
				t.Errorf("error leaks the secret: %q", err)
			}
			if d := time.Since(start); d > 20*time.Second {
				t.Errorf("took %v; want a bounded failure", d)
			}
		})
	}
}

func TestHTTPSNeedsTrustedCA(t *testing.T) {
	srv := s3test.Start(t, s3test.Options{TLS: true})
	bucket := srv.CreateBucket(t, "tls")
	cfg := srv.Config()
	cfg.S3.CABundle = ""
	if _, err := storage.Open(ctx, bucket, cfg); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Open over https without the CA = %v; want a certificate error", err)
	}
}

func TestSecretRedacted(t *testing.T) {
	s := storage.Secret("hunter2")
	for _, got := range []string{fmt.Sprint(s), fmt.Sprintf("%v %s %#v", s, s, storage.S3Config{SecretAccessKey: s})} {
		if strings.Contains(got, "hunter2") {
			t.Fatalf("secret printed: %s", got)
		}
	}
	if s.Reveal() != "hunter2" {
		t.Fatal("Reveal lost the value")
	}
}
