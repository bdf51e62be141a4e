package downstream

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/dataset/datasettest"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

var ctx = context.Background()

func tinyConfig(kind string) Config {
	c := DefaultConfig()
	c.Kind, c.Width, c.Hidden, c.Latent, c.Batch, c.Epochs, c.LR, c.CheckpointEvery, c.Samples = kind, 4, 16, 4, 4, 2, 3e-3, 3, 6
	c.LambdaK = 0.05
	return c
}

func memBucket(t *testing.T) *storage.Bucket {
	b, err := storage.Open(ctx, "mem://", storage.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readPNG(t *testing.T, b *storage.Bucket, key string) image.Image {
	t.Helper()
	raw, err := b.ReadAll(ctx, key)
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return img
}

// Every kind trains on pixels (level 0), commits, and writes metrics.json,
// curves.png and, for the generative kinds, sample and reconstruction grids.
func TestKindsCommitAndReport(t *testing.T) {
	for _, kind := range []string{model.KindClassifier, model.KindVAE, model.KindBEGAN} {
		t.Run(kind, func(t *testing.T) {
			data := datasettest.Blobs(t, 32, 8, 8, 1)
			out := memBucket(t)
			meta, err := Run(ctx, tinyConfig(kind), data, out, Options{RunID: "r1"})
			if err != nil {
				t.Fatal(err)
			}
			if !meta.Complete || meta.Kind != kind || meta.Step != 12 || len(meta.History) != 2 || meta.History[1].ValLoss <= 0 {
				t.Fatalf("meta: %+v", meta)
			}
			raw, _ := out.ReadAll(ctx, train.MetricsKey)
			var met Metrics
			if err := json.Unmarshal(raw, &met); err != nil || met.Steps != 12 || len(met.SecPerEpoch) != 2 || met.SecPerEpoch[0] <= 0 {
				t.Fatalf("metrics.json: %v %+v", err, met)
			}
			readPNG(t, out, CurvesKey)
			switch kind {
			case model.KindClassifier:
				if acc, ok := meta.History[1].Extra["val_accuracy"]; !ok || acc < 0 || acc > 1 {
					t.Fatalf("val_accuracy %v %v", acc, ok)
				}
			case model.KindBEGAN:
				if len(meta.Curves["k"]) == 0 || meta.State["k_t"] != met.KT || meta.History[1].Extra["m_global"] <= 0 {
					t.Fatalf("k_t curve %v, state %v, metrics %v, epochs %+v", meta.Curves["k"], meta.State, met.KT, meta.History)
				}
			}
			if kind != model.KindClassifier {
				// 6 samples of 8x8 pixels, zoomed to 64: a 3x2 grid of 64-pixel tiles with gutters.
				if b := readPNG(t, out, SamplesKey).Bounds(); b.Dx() != 3*66+2 || b.Dy() != 2*66+2 {
					t.Fatalf("samples.png is %v", b)
				}
				readPNG(t, out, ReconKey)
			}
			if ok, _ := out.Exists(ctx, train.ProgressKey); ok {
				t.Fatal("progress checkpoint left after commit")
			}
			if _, err := Run(ctx, tinyConfig(kind), data, out, Options{}); !errors.Is(err, dataset.ErrCommitted) {
				t.Fatalf("second run = %v; want ErrCommitted", err)
			}
		})
	}
}

// A run killed mid-epoch and restarted ends with the same bytes (weights,
// optimiser, noise and BEGAN's k_t).
func TestResumeAfterKillIsBitIdentical(t *testing.T) {
	for _, kind := range []string{model.KindClassifier, model.KindBEGAN} {
		t.Run(kind, func(t *testing.T) {
			data := datasettest.Blobs(t, 32, 8, 8, 1)
			cfg := tinyConfig(kind)
			whole := memBucket(t)
			if _, err := Run(ctx, cfg, data, whole, Options{}); err != nil {
				t.Fatal(err)
			}
			for _, killAt := range []int{4, 7} {
				out := memBucket(t)
				kctx, cancel := context.WithCancel(ctx)
				_, err := Run(kctx, cfg, data, out, Options{Progress: func(done, _ int) {
					if done == killAt {
						cancel()
					}
				}})
				cancel()
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("killed run: %v", err)
				}
				if ok, _ := out.Exists(ctx, train.CheckpointKey); ok {
					t.Fatal("a killed run committed a checkpoint")
				}
				if _, err := Run(ctx, cfg, data, out, Options{}); err != nil {
					t.Fatalf("restart: %v", err)
				}
				a, _ := whole.ReadAll(ctx, train.CheckpointKey)
				b, _ := out.ReadAll(ctx, train.CheckpointKey)
				if !bytes.Equal(a, b) {
					t.Fatalf("killed at batch %d: resumed checkpoint differs from the uninterrupted one", killAt)
				}
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		name string
		data func(t *testing.T) *dataset.Dataset
		cfg  func(c *Config)
		want string
	}{
		{"classifier without labels", func(t *testing.T) *dataset.Dataset { return datasettest.Unlabelled(t, 16, 8, 8, 1) },
			func(c *Config) {}, "needs labels"},
		{"fewer rows than a batch", func(t *testing.T) *dataset.Dataset { return datasettest.Blobs(t, 4, 8, 8, 1) },
			func(c *Config) { c.Batch = 8 }, "fewer than one batch"},
		{"unknown kind", func(t *testing.T) *dataset.Dataset { return datasettest.Blobs(t, 16, 8, 8, 1) },
			func(c *Config) { c.Kind = "gan" }, "downstream.kind"},
		{"no latent", func(t *testing.T) *dataset.Dataset { return datasettest.Blobs(t, 16, 8, 8, 1) },
			func(c *Config) { c.Kind, c.Latent = model.KindVAE, 0 }, "downstream.latent"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig(model.KindClassifier)
			tc.cfg(&cfg)
			out := memBucket(t)
			_, err := Run(ctx, cfg, tc.data(t), out, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v; want %q", err, tc.want)
			}
			if ok, _ := out.Exists(ctx, train.CheckpointKey); ok {
				t.Fatal("checkpoint written")
			}
		})
	}
}

// Sampling a model of level-k encodings without its stack fails clearly.
func TestSampleNeedsTheStack(t *testing.T) {
	data := datasettest.Blobs(t, 16, 8, 8, 1)
	out := memBucket(t)
	cfg := tinyConfig(model.KindVAE)
	cfg.Epochs = 1
	if _, err := Run(ctx, cfg, data, out, Options{}); err != nil {
		t.Fatal(err)
	}
	m, err := train.LoadModel(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	m.Meta.Level = 2 // as if trained on level-2 encodings
	if _, err := SampleGrid(m.Checkpoint, nil, 4, 1); err == nil || !strings.Contains(err.Error(), "2-level stack") {
		t.Fatalf("SampleGrid = %v", err)
	}
	m.Meta.Level = 0
	img, err := SampleGrid(m.Checkpoint, nil, 4, 1)
	if err != nil || img.Bounds().Dx() != 2*66+2 {
		t.Fatalf("SampleGrid: %v %v", err, img)
	}
}
