package train

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/storage"
	"gorgonia.org/tensor"
)

// Options are the run-time settings of one training run.
type Options struct {
	RunID, Version string
	// Overwrite replaces a trained model of other lineage at the output.
	Overwrite bool
	// Progress is called after each batch with batches done and planned.
	Progress func(done, total int)
	Log      *slog.Logger
}

// Run trains the level whose input is data (a level k-1 dataset gives the
// level k model) and commits it at out. It returns an error wrapping
// dataset.ErrCommitted when out already holds this very model.
func Run(ctx context.Context, cfg Config, data *dataset.Dataset, out *storage.Bucket, opts Options) (*model.Meta, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	m := data.Manifest
	arch, err := cfg.Arch([3]int(m.Shape))
	if err != nil {
		return nil, fmt.Errorf("train on %s (level %d, %s): %w", data.URL(), m.Level, m.Shape, err)
	}
	meta := model.Meta{Version: opts.Version, Level: m.Level + 1, Seed: cfg.Seed,
		Data: data.URL(), DataSHA256: data.ManifestSHA256, ConfigHash: ConfigHash(cfg)}
	if err := CheckCommitted(ctx, out, meta, opts.Overwrite); err != nil {
		return nil, err
	}
	r, err := newRun(ctx, cfg, arch, data, out, meta, opts)
	if err != nil {
		return nil, err
	}
	if err := r.lp.Run(ctx); err != nil {
		return nil, err
	}
	return r.lp.Commit(ctx)
}

// ConfigHash covers what changes the trained weights (not checkpoint
// frequency or how much validation is reported).
func ConfigHash(cfg Config) string {
	cfg.CheckpointEvery, cfg.ValBatches = 0, 0
	b, _ := json.Marshal(cfg)
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// SameLineage reports whether two checkpoints were trained on the same
// data with the same settings (what makes a committed model "this one").
func SameLineage(a, b model.Meta) bool {
	return a.ConfigHash == b.ConfigHash && a.DataSHA256 == b.DataSHA256 && a.Level == b.Level
}

// CheckCommitted looks at the model committed at out: none is fine; the
// same lineage is dataset.ErrCommitted; another is dataset.ErrConflict
// unless overwrite, which deletes it and any progress checkpoint.
func CheckCommitted(ctx context.Context, out *storage.Bucket, meta model.Meta, overwrite bool) error {
	fin, err := LoadKey(ctx, out, CheckpointKey)
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return nil
	case err != nil && !overwrite:
		return err
	case err == nil && SameLineage(fin.Meta, meta):
		return fmt.Errorf("model %s: %w (trained %d steps on %s)", out.URL(), dataset.ErrCommitted, fin.Meta.Step, fin.Meta.Data)
	case !overwrite:
		return fmt.Errorf("model %s: %w: it was trained on %s with config %.12s, this run would train on %s with %.12s; pass --overwrite to replace it",
			out.URL(), dataset.ErrConflict, fin.Meta.Data, fin.Meta.ConfigHash, meta.Data, meta.ConfigHash)
	}
	for _, k := range []string{CheckpointKey, ProgressKey} {
		if err := out.Delete(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

// Resumable returns the progress checkpoint at out when it has meta's
// lineage and same(its meta) holds, or nil (logging why a checkpoint found
// there is ignored): the run resumes from it or starts afresh.
func Resumable(ctx context.Context, out *storage.Bucket, meta model.Meta, same func(model.Meta) bool, log *slog.Logger) *Model {
	prog, err := LoadKey(ctx, out, ProgressKey)
	switch {
	case err == nil && SameLineage(prog.Meta, meta) && same(prog.Meta):
		log.Info("resuming", "from", out.KeyURL(ProgressKey), "step", prog.Meta.Step, "epoch", prog.Meta.Epoch)
		prog.Meta.Version = meta.Version
		return prog
	case err == nil:
		log.Warn("ignoring a progress checkpoint of other settings", "key", out.KeyURL(ProgressKey))
	case !errors.Is(err, storage.ErrNotFound):
		log.Warn("ignoring an unreadable progress checkpoint", "key", out.KeyURL(ProgressKey), "error", err)
	}
	return nil
}

// resumeOrStart continues from a progress checkpoint of the same lineage,
// or starts from freshly initialised weights.
func resumeOrStart(ctx context.Context, out *storage.Bucket, arch model.Arch, cfg Config, meta model.Meta, log *slog.Logger) (*model.Trainer, model.Meta, error) {
	if prog := Resumable(ctx, out, meta, func(m model.Meta) bool { return m.Arch == arch }, log); prog != nil {
		tr, err := model.ResumeTrainer(prog.Checkpoint)
		if err != nil {
			return nil, meta, fmt.Errorf("resume from %s: %w", out.KeyURL(ProgressKey), err)
		}
		return tr, prog.Meta, nil
	}
	tr, err := model.NewTrainer(arch, cfg.hyper(), model.NewParams(tensor.Float32, cfg.Seed))
	return tr, meta, err
}
