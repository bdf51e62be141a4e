package jobs

import (
	"os"
	"path/filepath"
	"testing"
)

// The profile is written whether the job succeeds or fails.
func TestCPUProfile(t *testing.T) {
	dir := t.TempDir()
	prof := filepath.Join(dir, "cpu.prof")
	run(t, "inspect", filepath.Join(dir, "missing"), "--cpuprofile", prof).expect(t, ExitFailure, "missing")
	st, err := os.Stat(prof)
	if err != nil {
		t.Fatalf("no profile after a failed job: %v", err)
	}
	if st.Size() == 0 {
		t.Fatal("empty profile")
	}
	run(t, "inspect", dir, "--cpuprofile", filepath.Join(dir, "no", "such", "dir", "p")).expect(t, ExitUsage, "--cpuprofile")
}
