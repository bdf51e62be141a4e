package train

import (
	"context"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/storage"
)

// run is one level's training run: a Loop over a Trainer, with the
// inference nets that validate it.
type run struct {
	cfg      Config
	arch     model.Arch
	data     *dataset.Dataset
	out      *storage.Bucket
	opts     Options
	tr       *model.Trainer
	lp       *Loop
	enc, dec *model.Net
}

// levelLearner adapts a Trainer to the Loop.
type levelLearner struct{ tr *model.Trainer }

func (l levelLearner) Steps() int { return l.tr.Adam.Step }

func (l levelLearner) Step(_ *dataset.Batch, x []float32) (model.Losses, error) {
	loss, err := l.tr.Step(x)
	return model.Losses{"loss": loss}, err
}

func (l levelLearner) Checkpoint(meta model.Meta) *model.Checkpoint { return l.tr.Checkpoint(meta) }

func newRun(ctx context.Context, cfg Config, arch model.Arch, data *dataset.Dataset, out *storage.Bucket, meta model.Meta, opts Options) (*run, error) {
	tr, meta, err := resumeOrStart(ctx, out, arch, cfg, meta, opts.Log)
	if err != nil {
		return nil, err
	}
	lp, err := NewLoop(LoopConfig{Batch: cfg.Batch, Epochs: cfg.Epochs, MaxSteps: cfg.MaxSteps, CheckpointEvery: cfg.CheckpointEvery, Seed: cfg.Seed},
		data, out, levelLearner{tr}, meta)
	if err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, arch: arch, data: data, out: out, opts: opts, tr: tr, lp: lp}
	lp.Progress, lp.Log, lp.Reports = opts.Progress, opts.Log, r.writeReports
	lp.Validate = func(ctx context.Context) (float64, map[string]float64, error) {
		v, err := r.validate(ctx)
		return v, nil, err
	}
	if r.enc, err = model.NewEncoder(arch, tr.Params, cfg.Batch); err != nil {
		return nil, err
	}
	if r.dec, err = model.NewDecoder(arch, tr.Params, cfg.Batch); err != nil {
		return nil, err
	}
	opts.Log.Info("training", "data", data.URL(), "model", out.URL(), "level", meta.Level, "in", arch.InShape, "code", arch.CodeShape(),
		"params", tr.Params.Count(), "batches_per_epoch", lp.PerEpoch, "batches", lp.Total)
	return r, nil
}

// validate is the mean squared error over (up to ValBatches batches of) the
// validation split, through E and D in inference mode.
func (r *run) validate(ctx context.Context) (float64, error) {
	m := r.data.Manifest
	var sum float64
	var n, batches int
	for batch, err := range r.data.Scan(ctx, dataset.ScanOptions{Split: dataset.Validation, BatchSize: r.cfg.Batch}) {
		if err != nil {
			return 0, err
		}
		x := model.ToNCHW(batch.Float32(m.Scale, m.Offset), batch.Len(), m.Shape[0], m.Shape[1], m.Shape[2])
		z, err := r.enc.Run(x)
		if err != nil {
			return 0, err
		}
		y, err := r.dec.Run(z)
		if err != nil {
			return 0, err
		}
		for i := range x {
			d := float64(y[i] - x[i])
			sum += d * d
		}
		n += len(x)
		if batches++; r.cfg.ValBatches > 0 && batches >= r.cfg.ValBatches {
			break
		}
	}
	if n == 0 {
		return -1, nil
	}
	return sum / float64(n), nil
}
