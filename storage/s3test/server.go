// Package s3test starts a real S3-compatible server (versitygw, posix
// backend) on 127.0.0.1 for tests: a fresh data folder and free port per
// server, optional TLS with a throwaway CA, stopped by t.Cleanup.
//
// The binary is found at $STACKAE_VERSITYGW, <module root>/bin/tools/versitygw
// (what `make deps` installs) or on PATH. When it is missing the test is
// skipped, except under CI=true where it fails.
package s3test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/stackae/stackae/storage"
)

// Server is a running versitygw instance.
type Server struct {
	// Endpoint is the base URL, http://127.0.0.1:PORT or https://...
	Endpoint string
	// AccessKey and SecretKey are the root credentials it accepts.
	AccessKey, SecretKey string
	// CAFile is the PEM of the CA that signed its certificate (TLS only).
	CAFile string
	// DataDir is the posix backend root: <DataDir>/<bucket>/<key>.
	DataDir string
}

// Options selects TLS.
type Options struct{ TLS bool }

// Start starts a server and registers its shutdown with t.Cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	bin := findBinary()
	if bin == "" {
		msg := "versitygw not found (run `make deps`, or set STACKAE_VERSITYGW)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := t.TempDir()
	s := &Server{AccessKey: "stackae-test-access", SecretKey: "stackae-test-secret-" + fmt.Sprint(time.Now().UnixNano()), DataDir: filepath.Join(dir, "data")}
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	args := []string{"--port", addr, "--access", s.AccessKey, "--secret", s.SecretKey, "--quiet"}
	scheme := "http"
	if opts.TLS {
		cert, key, ca := writeCerts(t, dir)
		args = append(args, "--cert", cert, "--key", key)
		s.CAFile, scheme = ca, "https"
	}
	s.Endpoint = scheme + "://" + addr
	cmd := exec.Command(bin, append(args, "posix", s.DataDir)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	logPath := filepath.Join(dir, "versitygw.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		_ = logFile.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			t.Logf("versitygw log:\n%s", out)
		}
	})
	s.waitReady(t)
	return s
}

// Config returns a storage.Config that reaches this server.
func (s *Server) Config() storage.Config {
	c := storage.DefaultConfig()
	c.S3.Endpoint = s.Endpoint
	c.S3.AccessKeyID = s.AccessKey
	c.S3.SecretAccessKey = storage.Secret(s.SecretKey)
	c.S3.CABundle = s.CAFile
	c.S3.MaxAttempts = 3
	return c
}

// CreateBucket creates bucket name and returns its s3:// URL.
func (s *Server) CreateBucket(t testing.TB, name string) string {
	t.Helper()
	_, err := s.client(t).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)})
	if err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return "s3://" + name
}

func (s *Server) waitReady(t testing.TB) {
	c := s.client(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw at %s not ready: %v", s.Endpoint, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func (s *Server) client(t testing.TB) *s3.Client {
	c, err := storage.NewS3Client(context.Background(), s.Config().S3)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func findBinary() string {
	if p := os.Getenv("STACKAE_VERSITYGW"); p != "" {
		return p
	}
	if wd, err := os.Getwd(); err == nil {
		for d := wd; d != filepath.Dir(d); d = filepath.Dir(d) {
			if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
				p := filepath.Join(d, "bin", "tools", "versitygw")
				if _, err := os.Stat(p); err == nil {
					return p
				}
				break
			}
		}
	}
	p, _ := exec.LookPath("versitygw")
	return p
}
