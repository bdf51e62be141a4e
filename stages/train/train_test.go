package train

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"strings"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/dataset/datasettest"
	"github.com/stackae/stackae/storage"
)

var ctx = context.Background()

func blobs(t *testing.T, n, h, w, c int) *dataset.Dataset { return datasettest.Blobs(t, n, h, w, c) }

func tinyConfig() Config {
	c := DefaultConfig()
	c.Factor, c.Features, c.Width, c.Batch, c.Epochs, c.LR, c.CheckpointEvery = "2", 2, 4, 4, 2, 3e-3, 3
	return c
}

func memBucket(t *testing.T) *storage.Bucket {
	b, err := storage.Open(ctx, "mem://", storage.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestTrainCommitsAndReports(t *testing.T) {
	data := blobs(t, 32, 8, 8, 1)
	out := memBucket(t)
	meta, err := Run(ctx, tinyConfig(), data, out, Options{RunID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	if !meta.Complete || meta.Level != 1 || meta.Step != 12 || len(meta.History) != 2 {
		t.Fatalf("meta: complete %v level %d step %d epochs %d", meta.Complete, meta.Level, meta.Step, len(meta.History))
	}
	if h := meta.History; !(h[1].ValLoss > 0 && h[1].TrainLoss < meta.Curve[0].Loss) {
		t.Fatalf("losses did not fall: %+v, first batch %v", h, meta.Curve[0].Loss)
	}
	raw, _ := out.ReadAll(ctx, MetricsKey)
	var met Metrics
	if err := json.Unmarshal(raw, &met); err != nil || met.Steps != 12 || len(met.SecPerBatch) != 2 || met.SecPerBatch[0] <= 0 || met.RunID != "r1" {
		t.Fatalf("metrics.json: %v %+v", err, met)
	}
	pngRaw, _ := out.ReadAll(ctx, LossPlotKey)
	if _, err := png.Decode(bytes.NewReader(pngRaw)); err != nil {
		t.Fatalf("loss.png: %v", err)
	}
	if ok, _ := out.Exists(ctx, ProgressKey); ok {
		t.Fatal("progress checkpoint left after commit")
	}
	m, err := LoadModel(ctx, out)
	if err != nil || m.Meta.DataSHA256 != data.ManifestSHA256 || len(m.SHA256) != 64 {
		t.Fatalf("LoadModel: %v", err)
	}

	if _, err := Run(ctx, tinyConfig(), data, out, Options{}); !errors.Is(err, dataset.ErrCommitted) {
		t.Fatalf("second run = %v; want ErrCommitted", err)
	}
	other := tinyConfig()
	other.LR = 1e-3
	if _, err := Run(ctx, other, data, out, Options{}); !errors.Is(err, dataset.ErrConflict) || !strings.Contains(err.Error(), "--overwrite") {
		t.Fatalf("other config = %v; want ErrConflict", err)
	}
	if _, err := Run(ctx, other, data, out, Options{Overwrite: true}); err != nil {
		t.Fatalf("--overwrite: %v", err)
	}
}

// A run killed mid-epoch and restarted ends with the same bytes.
func TestResumeAfterKillIsBitIdentical(t *testing.T) {
	data := blobs(t, 32, 8, 8, 1)
	cfg := tinyConfig()
	cfg.Epochs = 3
	whole := memBucket(t)
	if _, err := Run(ctx, cfg, data, whole, Options{}); err != nil {
		t.Fatal(err)
	}
	for _, killAt := range []int{4, 6, 7} {
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
		if ok, _ := out.Exists(ctx, CheckpointKey); ok {
			t.Fatal("a killed run committed a checkpoint")
		}
		if _, err := Run(ctx, cfg, data, out, Options{}); err != nil {
			t.Fatalf("restart: %v", err)
		}
		a, _ := whole.ReadAll(ctx, CheckpointKey)
		b, _ := out.ReadAll(ctx, CheckpointKey)
		if !bytes.Equal(a, b) {
			t.Fatalf("killed at batch %d: resumed checkpoint differs from the uninterrupted one", killAt)
		}
	}
}

func TestTrainBadInput(t *testing.T) {
	tests := []struct {
		name string
		data func(t *testing.T) *dataset.Dataset
		cfg  func(c *Config)
		want string
	}{
		{"factor does not divide", func(t *testing.T) *dataset.Dataset { return blobs(t, 16, 6, 6, 1) }, func(c *Config) { c.Factor = "4" }, "does not divide"},
		{"fewer rows than a batch", func(t *testing.T) *dataset.Dataset { return blobs(t, 4, 8, 8, 1) }, func(c *Config) { c.Batch = 8 }, "fewer than one batch"},
		{"bad factor", func(t *testing.T) *dataset.Dataset { return blobs(t, 16, 8, 8, 1) }, func(c *Config) { c.Factor = "3" }, "train.factor"},
		{"zero lr", func(t *testing.T) *dataset.Dataset { return blobs(t, 16, 8, 8, 1) }, func(c *Config) { c.LR = 0 }, "train.lr"},
		{"negative lr", func(t *testing.T) *dataset.Dataset { return blobs(t, 16, 8, 8, 1) }, func(c *Config) { c.LR = -1e-4 }, "train.lr"},
		{"batch 0", func(t *testing.T) *dataset.Dataset { return blobs(t, 16, 8, 8, 1) }, func(c *Config) { c.Batch = 0 }, "train.batch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := tinyConfig()
			tc.cfg(&cfg)
			out := memBucket(t)
			_, err := Run(ctx, cfg, tc.data(t), out, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v; want %q", err, tc.want)
			}
			if ok, _ := out.Exists(ctx, CheckpointKey); ok {
				t.Fatal("checkpoint written")
			}
		})
	}
}

// A run that loses the commit race to one of the same lineage is done, not
// failed; to another lineage it is a conflict.
func TestCommitRace(t *testing.T) {
	data := blobs(t, 16, 8, 8, 1)
	out := memBucket(t)
	meta, err := Run(ctx, tinyConfig(), data, out, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, _ := LoadModel(ctx, out)
	same := *m.Checkpoint
	if err := CommitCheckpoint(ctx, out, &same); err != nil { // the very bytes: an idempotent write
		t.Fatalf("identical checkpoint: %v", err)
	}
	same.Meta.Version = "another build" // same lineage, other bytes
	if err := CommitCheckpoint(ctx, out, &same); !errors.Is(err, dataset.ErrCommitted) {
		t.Fatalf("same lineage: %v", err)
	}
	other := *m.Checkpoint
	other.Meta.ConfigHash = "other"
	if err := CommitCheckpoint(ctx, out, &other); !errors.Is(err, dataset.ErrConflict) {
		t.Fatalf("other lineage: %v", err)
	}
	if again, _ := LoadModel(ctx, out); again.Meta.Step != meta.Step || again.Meta.ConfigHash == "other" {
		t.Fatal("the committed model changed")
	}
}
