package evaluate

import (
	"context"
	"strings"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/dataset/datasettest"
	"github.com/stackae/stackae/stages/encode"
	"github.com/stackae/stackae/stages/preview"
	"github.com/stackae/stackae/stages/stack"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

var ctx = context.Background()

// chain trains levels 1 (factor 2) and 2 (flatten) on blobs, all in one
// mem:// bucket so lineage URLs resolve, and returns the bucket and level 0.
func chain(t *testing.T) (*storage.Bucket, *dataset.Dataset, *dataset.Dataset) {
	t.Helper()
	root, err := storage.Open(ctx, "mem://", storage.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	sub := func(p string) *storage.Bucket {
		b, err := root.Sub(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	l0 := copyTo(t, datasettest.Blobs(t, 40, 8, 8, 1), sub("l0"))
	cfg := train.DefaultConfig()
	cfg.Features, cfg.Width, cfg.Batch, cfg.MaxSteps, cfg.LR = 2, 4, 4, 20, 3e-3
	cfg.Factor = "2"
	if _, err := train.Run(ctx, cfg, l0, sub("m1"), train.Options{}); err != nil {
		t.Fatal(err)
	}
	m1, _ := train.LoadModel(ctx, sub("m1"))
	if _, err := encode.Run(ctx, encode.DefaultConfig(), l0, m1, sub("l1"), encode.Part{I: 0, N: 1}, encode.Options{}); err != nil {
		t.Fatal(err)
	}
	l1, _ := dataset.Open(ctx, sub("l1"))
	cfg.Factor = "flatten"
	if _, err := train.Run(ctx, cfg, l1, sub("m2"), train.Options{}); err != nil {
		t.Fatal(err)
	}
	return root, l0, l1
}

func copyTo(t *testing.T, d *dataset.Dataset, b *storage.Bucket) *dataset.Dataset {
	w, err := dataset.Create(ctx, b, *d.Manifest, dataset.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for batch, err := range d.Scan(ctx, dataset.ScanOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(batch); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	out, _ := dataset.Open(ctx, b)
	return out
}

func TestEvalTwoLevels(t *testing.T) {
	root, l0, l1 := chain(t)
	open := func(_ context.Context, url string) (*storage.Bucket, error) {
		return root.Sub(strings.TrimPrefix(strings.TrimPrefix(url, root.URL()), "/"))
	}
	s, err := stack.Load(ctx, open, []string{root.KeyURL("m1"), root.KeyURL("m2")}, 8)
	if err != nil {
		t.Fatal(err)
	}
	rep, img, err := Run(ctx, DefaultConfig(), s, l0, 8)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 10 || len(rep.FullStack) != 2 {
		t.Fatalf("report %+v", rep)
	}
	// Level 1's input is the pixels: its full-stack and local losses agree.
	if d := rep.FullStack[0] - rep.LevelLocal[0]; d > 1e-6 || d < -1e-6 {
		t.Fatalf("level 1 full-stack %v != local %v", rep.FullStack[0], rep.LevelLocal[0])
	}
	for i := range 2 {
		if !(rep.FullStack[i] > 0 && rep.LevelLocal[i] > 0) {
			t.Fatalf("losses %+v", rep)
		}
	}
	// 3 rows (original, level 1, level 2) of 10 tiles of 48px + gutters.
	if img.Bounds().Dy() != 3*50+2 || img.Bounds().Dx() != 10*50+2 {
		t.Fatalf("gallery %v", img.Bounds())
	}
	// The stack is found from a level-1 dataset's lineage, and decodes it.
	ls, err := stack.FromLineage(ctx, open, l1, 8)
	if err != nil || ls.Depth() != 1 {
		t.Fatalf("FromLineage: %v", err)
	}
	grid, err := preview.Decoded(ctx, l1, ls, preview.Options{N: 4})
	if err != nil || grid.Bounds().Dx() != 2*66+2 {
		t.Fatalf("decoded preview: %v %v", err, grid)
	}
	// Wrong order, wrong data.
	if _, err := stack.Load(ctx, open, []string{root.KeyURL("m2"), root.KeyURL("m1")}, 8); err == nil || !strings.Contains(err.Error(), "level-2 model") {
		t.Fatalf("reversed stack: %v", err)
	}
	if _, _, err := Run(ctx, DefaultConfig(), s, l1, 8); err == nil || !strings.Contains(err.Error(), "level chain mismatch") {
		t.Fatalf("eval on level-1 data: %v", err)
	}
}
