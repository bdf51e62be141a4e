package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// result is what one measured process reported, plus what the OS measured.
type result struct {
	Times      []float64 `json:"times"`
	ImagesPerS float64   `json:"images_per_s"`
	GFLOPs     float64   `json:"gflops"`
	Params     int       `json:"params"`
	Torch      string    `json:"torch"`
	Threads    int       `json:"threads"`
	Loss       float64   `json:"loss"`
	// Set by measure.
	PeakRSS int64         `json:"-"` // bytes
	Wall    time.Duration `json:"-"`
}

// measure runs a process, parses the last JSON line of its stdout (when
// wantJSON) and records its peak RSS and wall time.
func measure(ctx context.Context, env []string, wantJSON bool, name string, args ...string) (result, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	t0 := time.Now()
	err := cmd.Run()
	wall := time.Since(t0)
	line := strings.Join(append([]string{name}, args...), " ")
	if err != nil {
		return result{}, fmt.Errorf("%s: %w\n%s", line, err, tail(errb.String(), 2000))
	}
	var r result
	if wantJSON {
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
			return result{}, fmt.Errorf("%s: output %q: %w", line, tail(out.String(), 500), err)
		}
	}
	r.Wall = wall
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.PeakRSS = ru.Maxrss * 1024 // KiB on Linux
	}
	return r, nil
}

// tail shortens s to its first and last n/2 bytes (a panic's cause is at
// the start, an error at the end).
func tail(s string, n int) string {
	if len(s) > n {
		return s[:n/2] + "\n...\n" + s[len(s)-n/2:]
	}
	return s
}
