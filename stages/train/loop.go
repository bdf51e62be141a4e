package train

import (
	"context"
	"fmt"
	"time"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/storage"
)

// run is one training run's state.
type run struct {
	cfg      Config
	arch     model.Arch
	data     *dataset.Dataset
	out      *storage.Bucket
	opts     Options
	tr       *model.Trainer
	meta     model.Meta
	enc, dec *model.Net
	spe      int       // batches per epoch
	total    int       // batches planned
	seconds  []float64 // wall time per batch, per finished epoch (this process)
	epochSec float64
}

func newRun(ctx context.Context, cfg Config, arch model.Arch, data *dataset.Dataset, out *storage.Bucket, meta model.Meta, opts Options) (*run, error) {
	trainRows := int(data.Manifest.Splits[dataset.Train])
	spe := trainRows / cfg.Batch
	if spe == 0 {
		return nil, fmt.Errorf("train on %s: %d train rows, fewer than one batch of %d", data.URL(), trainRows, cfg.Batch)
	}
	tr, meta, err := resumeOrStart(ctx, out, arch, cfg, meta, opts.Log)
	if err != nil {
		return nil, err
	}
	r := &run{cfg: cfg, arch: arch, data: data, out: out, opts: opts, tr: tr, meta: meta, spe: spe, total: cfg.Epochs * spe}
	if cfg.MaxSteps > 0 {
		r.total = min(r.total, cfg.MaxSteps)
	}
	if r.enc, err = model.NewEncoder(arch, tr.Params, cfg.Batch); err != nil {
		return nil, err
	}
	if r.dec, err = model.NewDecoder(arch, tr.Params, cfg.Batch); err != nil {
		return nil, err
	}
	opts.Log.Info("training", "data", data.URL(), "model", out.URL(), "level", meta.Level, "in", arch.InShape, "code", arch.CodeShape(),
		"params", tr.Params.Count(), "batches_per_epoch", spe, "batches", r.total)
	return r, nil
}

func (r *run) done() bool { return r.tr.Adam.Step >= r.total }

func (r *run) loop(ctx context.Context) error {
	for !r.done() {
		if err := r.epoch(ctx); err != nil {
			return err
		}
	}
	// Killed after its last batch's progress checkpoint but before the end
	// of that epoch: end it now, as the uninterrupted run did.
	if r.meta.EpochBatches > 0 {
		return r.endEpoch(ctx)
	}
	return nil
}

// epoch trains the rest of the current epoch (all of it unless resuming)
// and then records its metrics.
func (r *run) epoch(ctx context.Context) error {
	e := r.meta.Epoch
	skip := r.tr.Adam.Step - e*r.spe // batches of this epoch already trained
	i := 0
	m := r.data.Manifest
	for batch, err := range r.data.Scan(ctx, dataset.ScanOptions{Split: dataset.Train, Shuffle: true, Seed: r.cfg.Seed*1_000_003 + uint64(e), BatchSize: r.cfg.Batch}) {
		if err != nil {
			return err
		}
		if batch.Len() < r.cfg.Batch || r.done() {
			break
		}
		if i++; i <= skip {
			continue
		}
		if err := r.step(ctx, model.ToNCHW(batch.Float32(m.Scale, m.Offset), batch.Len(), m.Shape[0], m.Shape[1], m.Shape[2])); err != nil {
			return err
		}
	}
	return r.endEpoch(ctx)
}

func (r *run) step(ctx context.Context, x []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	loss, err := r.tr.Step(x)
	if err != nil {
		return err
	}
	r.epochSec += time.Since(start).Seconds()
	r.meta.EpochLossSum += loss
	r.meta.EpochBatches++
	step := r.tr.Adam.Step
	if step%max(1, r.total/200) == 0 || step == 1 { // ~200 points whatever the run length
		r.meta.Curve = append(r.meta.Curve, model.StepLoss{Step: step, Loss: loss})
	}
	if r.opts.Progress != nil {
		r.opts.Progress(step, r.total)
	}
	if step%r.cfg.CheckpointEvery == 0 {
		return r.saveProgress(ctx)
	}
	return nil
}

func (r *run) endEpoch(ctx context.Context) error {
	val, err := r.validate(ctx)
	if err != nil {
		return err
	}
	em := model.EpochMetrics{Epoch: r.meta.Epoch + 1, Step: r.tr.Adam.Step, TrainLoss: r.meta.EpochLossSum / float64(max(1, r.meta.EpochBatches)), ValLoss: val}
	r.meta.History = append(r.meta.History, em)
	if r.meta.EpochBatches > 0 && r.epochSec > 0 { // this process trained some of it
		r.seconds = append(r.seconds, r.epochSec/float64(r.meta.EpochBatches))
	}
	r.meta.Epoch++
	r.meta.EpochLossSum, r.meta.EpochBatches, r.epochSec = 0, 0, 0
	r.opts.Log.Info("epoch", "epoch", em.Epoch, "step", em.Step, "train_loss", em.TrainLoss, "val_loss", em.ValLoss, "sec_per_batch", r.lastSeconds())
	if err := r.saveProgress(ctx); err != nil {
		return err
	}
	return r.writeReports(ctx)
}

func (r *run) lastSeconds() float64 {
	if len(r.seconds) == 0 {
		return 0
	}
	return r.seconds[len(r.seconds)-1]
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
