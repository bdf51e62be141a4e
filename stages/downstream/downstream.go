package downstream

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/stack"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
	"gorgonia.org/tensor"
)

// Keys under a downstream model URL (checkpoint, progress and metrics as a
// level's).
const (
	CurvesKey  = "curves.png"
	SamplesKey = "samples.png"
	ReconKey   = "reconstructions.png"
)

// Options are the run-time settings of one downstream run.
type Options struct {
	RunID, Version string
	// Overwrite replaces a trained model of other lineage at the output.
	Overwrite bool
	// Stack decodes encodings to pixels for the PNG reports (nil: the
	// data is pixels, or reports stay in encoding space).
	Stack *stack.Stack
	// Progress is called after each batch with batches done and planned.
	Progress func(done, total int)
	Log      *slog.Logger
}

// Run trains cfg.Kind on data and commits it at out. It returns an error
// wrapping dataset.ErrCommitted when out already holds this very model.
func Run(ctx context.Context, cfg Config, data *dataset.Dataset, out *storage.Bucket, opts Options) (*model.Meta, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	d, err := modelFor(cfg, data)
	if err != nil {
		return nil, err
	}
	if err := checkStack(opts.Stack, data); err != nil {
		return nil, err
	}
	meta := model.Meta{Version: opts.Version, Level: data.Manifest.Level, Seed: cfg.Seed,
		Data: data.URL(), DataSHA256: data.ManifestSHA256, ConfigHash: ConfigHash(cfg)}
	if err := train.CheckCommitted(ctx, out, meta, opts.Overwrite); err != nil {
		return nil, err
	}
	r, err := newRun(ctx, cfg, d, data, out, meta, opts)
	if err != nil {
		return nil, err
	}
	if err := r.lp.Run(ctx); err != nil {
		return nil, err
	}
	return r.lp.Commit(ctx)
}

// modelFor checks the dataset against the kind and sizes the model.
func modelFor(cfg Config, data *dataset.Dataset) (model.Downstream, error) {
	m := data.Manifest
	if cfg.Kind == model.KindClassifier && len(m.Classes) < 2 {
		return model.Downstream{}, fmt.Errorf("%s: a classifier needs labels, and this dataset's manifest lists %d classes (ingest a labelled source)", data.URL(), len(m.Classes))
	}
	d := cfg.arch([3]int(m.Shape), len(m.Classes))
	if err := d.Validate(); err != nil {
		return d, fmt.Errorf("%s on %s (level %d, %s): %w", cfg.Kind, data.URL(), m.Level, m.Shape, err)
	}
	if m.Splits[dataset.Train] < int64(cfg.Batch) {
		return d, fmt.Errorf("%s on %s: %d train rows, fewer than one batch of %d", cfg.Kind, data.URL(), m.Splits[dataset.Train], cfg.Batch)
	}
	return d, nil
}

// checkStack verifies, before any training, that s decodes data's rows.
func checkStack(s *stack.Stack, data *dataset.Dataset) error {
	if s == nil || s.Depth() == 0 && data.Manifest.Level == 0 {
		return nil
	}
	m := data.Manifest
	if s.Depth() == 0 || s.Depth() != m.Level {
		return fmt.Errorf("%s: a level-%d dataset cannot be decoded by a %d-level stack", data.URL(), m.Level, s.Depth())
	}
	if top := s.Levels[s.Depth()-1].Meta.Arch.CodeShape(); top != [3]int(m.Shape) {
		return fmt.Errorf("%s: %s encodings, but the stack's top level encodes to %dx%dx%d", data.URL(), m.Shape, top[0], top[1], top[2])
	}
	return nil
}

// ConfigHash covers what changes the trained weights.
func ConfigHash(cfg Config) string {
	cfg.CheckpointEvery, cfg.ValBatches, cfg.Samples = 0, 0, 0
	b, _ := json.Marshal(cfg)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// resumeOrStart continues from a progress checkpoint of the same lineage
// and architecture, or starts from freshly initialised weights.
func resumeOrStart(ctx context.Context, out *storage.Bucket, d model.Downstream, cfg Config, meta model.Meta, log *slog.Logger) (*model.Task, model.Meta, error) {
	same := func(m model.Meta) bool { return m.Downstream != nil && *m.Downstream == d }
	if prog := train.Resumable(ctx, out, meta, same, log); prog != nil {
		t, err := model.ResumeTask(prog.Checkpoint)
		if err != nil {
			return nil, meta, fmt.Errorf("resume from %s: %w", out.KeyURL(train.ProgressKey), err)
		}
		return t, prog.Meta, nil
	}
	t, err := model.NewTask(d, cfg.hyper(), cfg.Seed, model.NewParams(tensor.Float32, cfg.Seed))
	return t, meta, err
}
