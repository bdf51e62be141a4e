package reliability

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

// writeIDX writes n h x w images (smooth random blobs) and labels as IDX.
func writeIDX(t *testing.T, dir string, n, h, w int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(7, 7))
	var img, lbl bytes.Buffer
	binary.Write(&img, binary.BigEndian, []uint32{0x803, uint32(n), uint32(h), uint32(w)})
	binary.Write(&lbl, binary.BigEndian, []uint32{0x801, uint32(n)})
	for i := range n {
		cy, cx := rng.Float64()*float64(h), rng.Float64()*float64(w)
		for y := range h {
			for x := range w {
				d := (float64(y)-cy)*(float64(y)-cy) + (float64(x)-cx)*(float64(x)-cx)
				img.WriteByte(uint8(255 / (1 + d/4)))
			}
		}
		lbl.WriteByte(uint8(i % 3))
	}
	if err := os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), img.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"), lbl.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// writeNoiseIDX writes n h x w images of random pixels (incompressible).
func writeNoiseIDX(t *testing.T, dir string, n, h, w int) {
	t.Helper()
	rng := rand.New(rand.NewPCG(8, 8))
	img := make([]byte, 16+n*h*w)
	binary.BigEndian.PutUint32(img[0:], 0x803)
	binary.BigEndian.PutUint32(img[4:], uint32(n))
	binary.BigEndian.PutUint32(img[8:], uint32(h))
	binary.BigEndian.PutUint32(img[12:], uint32(w))
	for i := 16; i < len(img); i++ {
		img[i] = uint8(rng.Uint32())
	}
	lbl := make([]byte, 8+n)
	binary.BigEndian.PutUint32(lbl[0:], 0x801)
	binary.BigEndian.PutUint32(lbl[4:], uint32(n))
	if err := os.WriteFile(filepath.Join(dir, "train-images-idx3-ubyte"), img, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"), lbl, 0o644); err != nil {
		t.Fatal(err)
	}
}

// killStep is one command of the chain, run in the work directory.
type killStep struct {
	name   string
	args   []string
	output string // what it commits, relative to the work directory
}

func killChain(src string) []killStep {
	train := []string{"train", "--data", "l0", "--model", "m1", "--factor", "2", "--features", "4", "--width", "8",
		"--batch", "8", "--epochs", "1", "--max-steps", "30", "--checkpoint-every", "3", "--seed", "3"}
	enc := []string{"encode", "--data", "l0", "--model", "m1", "--to", "l1", "--shard-mb", "1"}
	return []killStep{
		{"ingest", []string{"ingest", "--from", "idx:" + src, "--to", "l0", "--shard-mb", "1"}, "l0"},
		{"train", train, "m1"},
		{"encode part 0/2", append(enc, "--shard", "0/2"), ""},
		{"encode part 1/2", append(enc, "--shard", "1/2"), ""},
		{"finalize", append(enc, "--finalize", "--shards", "2"), "l1"},
	}
}

// SIGKILL at seeded random points of every command of ingest -> train ->
// encode (2 parts) -> finalize, then the same command again: the outputs
// are byte-identical to an uninterrupted run (shards and checkpoints), and
// after every kill the output is either absent or a whole, verified dataset.
func TestKillsAndReruns(t *testing.T) {
	src := t.TempDir()
	writeIDX(t, src, 3000, 16, 16)
	base, work, ref := t.TempDir(), filepath.Join(t.TempDir(), "work"), t.TempDir()
	chain := killChain(src)
	perStep := 4
	if full {
		perStep = 12
	}
	rng := rand.New(rand.NewPCG(2026, 12))
	env := []string{"STACKAE_LOG_LEVEL=warn"}
	kills, identical := 0, 0
	for i, st := range chain {
		// The state before this step, and this step run uninterrupted.
		copyDir(t, base, work)
		t0 := time.Now()
		if out, err := proc(work, env, st.args...).CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", st.name, err, out)
		}
		took := time.Since(t0)
		copyDir(t, work, ref)
		for range perStep {
			copyDir(t, base, work)
			at := time.Duration(rng.Int64N(int64(took)))
			killed := killAfter(t, proc(work, env, st.args...), at)
			kills++
			if st.output != "" {
				checkWholeOrAbsent(t, filepath.Join(work, st.output))
			}
			if out, err := proc(work, env, st.args...).CombinedOutput(); err != nil {
				t.Fatalf("%s re-run after a kill at %v: %v\n%s", st.name, at, err, out)
			}
			if diff := compareOutputs(t, ref, work); diff != "" {
				t.Fatalf("%s killed at %v (killed=%v), then re-run: %s", st.name, at, killed, diff)
			}
			identical++
		}
		copyDir(t, ref, base) // the next step starts from this one's output
		t.Logf("step %d %s: %v uninterrupted, %d kills", i, st.name, took.Round(time.Millisecond), perStep)
	}
	record("kills", fmt.Sprintf("SIGKILLs at seeded points across %d commands, each re-run to outputs byte-identical to an uninterrupted run", len(chain)), fmt.Sprintf("%d / %d", identical, kills))
}

// killAfter starts cmd and SIGKILLs it after d; it reports whether the
// process was still running.
func killAfter(t *testing.T, cmd *exec.Cmd, d time.Duration) bool {
	t.Helper()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		return false
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return true
	}
}

// checkWholeOrAbsent: a reader sees no dataset, or a complete one.
func checkWholeOrAbsent(t *testing.T, dir string) {
	t.Helper()
	ctx := context.Background()
	b, err := storage.Open(ctx, dir, storage.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if ok, _ := b.Exists(ctx, "checkpoint.safetensors"); ok || strings.HasSuffix(dir, "m1") {
		return // models: the checkpoint is one atomic object
	}
	d, err := dataset.Open(ctx, b)
	if errors.Is(err, dataset.ErrNotDataset) {
		return
	}
	if err != nil {
		t.Fatalf("%s after a kill: %v", dir, err)
	}
	if _, err := d.Verify(ctx, nil); err != nil {
		t.Fatalf("%s after a kill is committed but does not verify: %v", dir, err)
	}
}

// compareOutputs compares what matters in two work directories: every
// committed dataset's shard hashes and rows, every committed checkpoint's
// bytes. It returns "" when they agree.
func compareOutputs(t *testing.T, want, got string) string {
	t.Helper()
	ctx := context.Background()
	for _, name := range []string{"l0", "l1"} {
		wb, _ := storage.Open(ctx, filepath.Join(want, name), storage.DefaultConfig())
		wd, werr := dataset.Open(ctx, wb)
		if werr != nil {
			continue // not made yet at this step
		}
		gb, _ := storage.Open(ctx, filepath.Join(got, name), storage.DefaultConfig())
		gd, err := dataset.Open(ctx, gb)
		if err != nil {
			return fmt.Sprintf("%s missing: %v", name, err)
		}
		if gd.Manifest.Rows != wd.Manifest.Rows || len(gd.Manifest.Shards) != len(wd.Manifest.Shards) {
			return fmt.Sprintf("%s: %d rows in %d shards, want %d in %d", name, gd.Manifest.Rows, len(gd.Manifest.Shards), wd.Manifest.Rows, len(wd.Manifest.Shards))
		}
		for i, s := range wd.Manifest.Shards {
			if gd.Manifest.Shards[i].SHA256 != s.SHA256 {
				return fmt.Sprintf("%s shard %d differs", name, i)
			}
		}
	}
	a, err := os.ReadFile(filepath.Join(want, "m1", "checkpoint.safetensors"))
	if err == nil {
		b, err := os.ReadFile(filepath.Join(got, "m1", "checkpoint.safetensors"))
		if err != nil || !bytes.Equal(a, b) {
			return fmt.Sprintf("checkpoint differs (%v)", err)
		}
	}
	return ""
}

// copyDir makes dst an exact copy of src.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.RemoveAll(dst); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("cp", "-a", src+"/.", dst).CombinedOutput(); err != nil {
		t.Fatalf("cp: %v %s", err, out)
	}
}

// SIGTERM cancels a training run promptly, non-zero, committing nothing.
func TestSigtermExitsPromptly(t *testing.T) {
	src := t.TempDir()
	writeIDX(t, src, 3000, 16, 16)
	work := t.TempDir()
	if out, err := proc(work, nil, "ingest", "--from", "idx:"+src, "--to", "l0").CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	cmd := proc(work, nil, "train", "--data", "l0", "--model", "m1", "--factor", "2", "--features", "4", "--width", "8", "--batch", "8", "--epochs", "50")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	sent := time.Now()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 || took > 5*time.Second {
		t.Fatalf("after SIGTERM: %v in %v\n%s", err, took, errb.String())
	}
	if _, err := os.Stat(filepath.Join(work, "m1", "checkpoint.safetensors")); err == nil {
		t.Fatal("a cancelled training committed its checkpoint")
	}
	record("kills", "SIGTERM during training: exit code, seconds to exit (nothing committed)", fmt.Sprintf("%d, %.2f", ee.ExitCode(), took.Seconds()))
}
