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
	"errors"
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

	cmd     *exec.Cmd
	logPath string
	logFile *os.File
}

// Options selects TLS.
type Options struct{ TLS bool }

// ErrNoBinary means versitygw was not found.
var ErrNoBinary = errors.New("versitygw not found (run `make deps`, or set STACKAE_VERSITYGW)")

// Start starts a server and registers its shutdown with t.Cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Launch(t.TempDir(), opts)
	if errors.Is(err, ErrNoBinary) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("versitygw log:\n%s", s.Log())
		}
	})
	return s
}

// Launch starts a server whose files live under dir and waits until it
// answers; Close stops it. Start is the form for tests.
func Launch(dir string, opts Options) (*Server, error) {
	bin := findBinary()
	if bin == "" {
		return nil, ErrNoBinary
	}
	s := &Server{AccessKey: "stackae-test-access", SecretKey: "stackae-test-secret-" + fmt.Sprint(time.Now().UnixNano()), DataDir: filepath.Join(dir, "data")}
	if err := os.MkdirAll(s.DataDir, 0o755); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	args := []string{"--port", addr, "--access", s.AccessKey, "--secret", s.SecretKey, "--quiet"}
	scheme := "http"
	if opts.TLS {
		cert, key, ca, err := writeCerts(dir)
		if err != nil {
			return nil, fmt.Errorf("test certificates: %w", err)
		}
		args = append(args, "--cert", cert, "--key", key)
		s.CAFile, scheme = ca, "https"
	}
	s.Endpoint = scheme + "://" + addr
	s.cmd = exec.Command(bin, append(args, "posix", s.DataDir)...)
	s.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + dir}
	s.logPath = filepath.Join(dir, "versitygw.log")
	if s.logFile, err = os.Create(s.logPath); err != nil {
		return nil, err
	}
	s.cmd.Stdout, s.cmd.Stderr = s.logFile, s.logFile
	if err := s.cmd.Start(); err != nil {
		s.logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	if err := s.waitReady(); err != nil {
		s.Close()
		return nil, fmt.Errorf("%w; log:\n%s", err, s.Log())
	}
	return s, nil
}

// Close stops the server.
func (s *Server) Close() {
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	_ = s.logFile.Close()
}

// Log is what the server printed so far.
func (s *Server) Log() string {
	out, _ := os.ReadFile(s.logPath)
	return string(out)
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
	url, err := s.NewBucket(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return url
}

// NewBucket creates bucket name and returns its s3:// URL.
func (s *Server) NewBucket(ctx context.Context, name string) (string, error) {
	c, err := storage.NewS3Client(ctx, s.Config().S3)
	if err != nil {
		return "", err
	}
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		return "", fmt.Errorf("create bucket %s: %w", name, err)
	}
	return "s3://" + name, nil
}

func (s *Server) waitReady() error {
	c, err := storage.NewS3Client(context.Background(), s.Config().S3)
	if err != nil {
		return err
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw at %s not ready: %w", s.Endpoint, err)
		}
		time.Sleep(30 * time.Millisecond)
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
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
