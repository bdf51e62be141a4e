package reliability

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stackae/stackae/jobs"
)

var (
	repo string // the repository
	bin  string // stackae built for the process-level campaigns
	full = os.Getenv("STACKAE_RELIABILITY") == "full"
)

// results are the campaigns' counts, written to $STACKAE_RELIABILITY_REPORT.
var results struct {
	sync.Mutex
	rows []string
}

// record adds one row (campaign | what | count) to the report.
func record(campaign, what string, n any) {
	results.Lock()
	defer results.Unlock()
	results.rows = append(results.rows, fmt.Sprintf("| %s | %s | %v |", campaign, what, n))
}

func TestMain(m *testing.M) {
	var err error
	if repo, err = filepath.Abs(".."); err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "reliability-")
	if err != nil {
		panic(err)
	}
	bin = filepath.Join(dir, "stackae")
	build := exec.Command("go", "build", "-tags", os.Getenv("STACKAE_TAGS"), "-o", bin, "./cmd/stackae")
	build.Dir, build.Stdout, build.Stderr = repo, os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	if out := os.Getenv("STACKAE_RELIABILITY_REPORT"); out != "" {
		sort.Strings(results.rows)
		os.WriteFile(out, []byte(strings.Join(results.rows, "\n")+"\n"), 0o644)
	}
	os.Exit(code)
}

// cli runs the CLI in this process (environment from t.Setenv).
func cli(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := jobs.Run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// mustCLI runs the CLI and fails the test unless it exits 0.
func mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	code, out, errs := cli(args...)
	if code != 0 {
		t.Fatalf("stackae %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errs)
	}
	return out
}

// proc is a stackae process (for kills and signals).
func proc(dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	return cmd
}

func since(t0 time.Time) string { return time.Since(t0).Round(time.Millisecond).String() }
