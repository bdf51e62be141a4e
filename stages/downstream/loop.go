package downstream

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

// run is one downstream run's state.
type run struct {
	cfg      Config
	d        model.Downstream
	data     *dataset.Dataset
	out      *storage.Bucket
	opts     Options
	task     *model.Task
	meta     model.Meta
	spe      int       // batches per epoch
	total    int       // batches planned
	seconds  []float64 // wall time of a training step, per epoch trained by this process
	epochs   []float64 // wall time per epoch: reading, decoding and training, no validation
	epochSec float64
}

// epochSum is the prefix of meta.State keys that sum a step number over the
// epoch in progress (checkpointed, so a resumed epoch reports the same).
const epochSum = "epoch_sum."

func newRun(ctx context.Context, cfg Config, d model.Downstream, data *dataset.Dataset, out *storage.Bucket, meta model.Meta, opts Options) (*run, error) {
	t, meta, err := resumeOrStart(ctx, out, d, cfg, meta, opts.Log)
	if err != nil {
		return nil, err
	}
	spe := int(data.Manifest.Splits[dataset.Train]) / cfg.Batch
	r := &run{cfg: cfg, d: d, data: data, out: out, opts: opts, task: t, meta: meta, spe: spe, total: cfg.Epochs * spe}
	if cfg.MaxSteps > 0 {
		r.total = min(r.total, cfg.MaxSteps)
	}
	opts.Log.Info("training downstream", "kind", d.Kind, "data", data.URL(), "model", out.URL(), "level", meta.Level,
		"in", d.InShape, "params", t.Params.Count(), "batches_per_epoch", spe, "batches", r.total)
	return r, nil
}

func (r *run) done() bool { return r.task.Adam.Step >= r.total }

func (r *run) loop(ctx context.Context) error {
	for !r.done() {
		if err := r.epoch(ctx); err != nil {
			return err
		}
	}
	// Killed after its last batch's progress checkpoint but before the end
	// of that epoch: end it now, as the uninterrupted run did.
	if r.meta.EpochBatches > 0 {
		return r.endEpoch(ctx, 0)
	}
	return nil
}

// epoch trains the rest of the current epoch, then validates and reports.
func (r *run) epoch(ctx context.Context) error {
	e := r.meta.Epoch
	skip := r.task.Adam.Step - e*r.spe
	i := 0
	start := time.Now()
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
		if err := r.checkLabels(batch); err != nil {
			return err
		}
		x := model.ToNCHW(batch.Float32(m.Scale, m.Offset), batch.Len(), m.Shape[0], m.Shape[1], m.Shape[2])
		if err := r.step(ctx, x, batch.Labels); err != nil {
			return err
		}
	}
	return r.endEpoch(ctx, time.Since(start).Seconds())
}

func (r *run) checkLabels(b *dataset.Batch) error {
	if r.d.Kind != model.KindClassifier {
		return nil
	}
	for i, l := range b.Labels {
		if l < 0 || int(l) >= r.d.Classes {
			return fmt.Errorf("%s: row %s has label %d; a classifier needs labels 0..%d on every row", r.data.URL(), b.IDs[i], l, r.d.Classes-1)
		}
	}
	return nil
}

func (r *run) step(ctx context.Context, x []float32, labels []int32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	l, err := r.task.Step(x, labels)
	if err != nil {
		return err
	}
	r.epochSec += time.Since(start).Seconds()
	r.meta.EpochLossSum += l["loss"]
	r.meta.EpochBatches++
	if r.meta.State == nil {
		r.meta.State = map[string]float64{}
	}
	for k, v := range l {
		r.meta.State[epochSum+k] += v
	}
	step := r.task.Adam.Step
	if r.opts.Log.Enabled(ctx, slog.LevelDebug) { // BEGAN's M_global and k_t, every step
		r.opts.Log.Debug("step", "kind", r.d.Kind, "step", step, "losses", l)
	}
	if step%max(1, r.total/200) == 0 || step == 1 {
		r.sample(step, l)
	}
	if r.opts.Progress != nil {
		r.opts.Progress(step, r.total)
	}
	if step%r.cfg.CheckpointEvery == 0 {
		return r.saveProgress(ctx)
	}
	return nil
}

// sample records the step's numbers on the curves.
func (r *run) sample(step int, l model.Losses) {
	r.meta.Curve = append(r.meta.Curve, model.StepLoss{Step: step, Loss: l["loss"]})
	if r.meta.Curves == nil {
		r.meta.Curves = map[string][]model.StepLoss{}
	}
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		r.meta.Curves[k] = append(r.meta.Curves[k], model.StepLoss{Step: step, Loss: l[k]})
	}
}

// endEpoch validates and reports; wall is the epoch's training time in
// this process, data loading included.
func (r *run) endEpoch(ctx context.Context, wall float64) error {
	val, err := r.validate(ctx)
	if err != nil {
		return err
	}
	n := float64(max(1, r.meta.EpochBatches))
	em := model.EpochMetrics{Epoch: r.meta.Epoch + 1, Step: r.task.Adam.Step, TrainLoss: r.meta.EpochLossSum / n, ValLoss: val.loss, Extra: val.extra}
	if r.d.Kind == model.KindBEGAN && r.meta.EpochBatches > 0 {
		em.Extra["m_global"] = r.meta.State[epochSum+"m_global"] / n
	}
	for k := range r.meta.State {
		if strings.HasPrefix(k, epochSum) {
			delete(r.meta.State, k)
		}
	}
	r.meta.History = append(r.meta.History, em)
	if r.meta.EpochBatches > 0 && r.epochSec > 0 { // this process trained some of it
		r.seconds = append(r.seconds, r.epochSec/n)
		r.epochs = append(r.epochs, wall)
	}
	r.meta.Epoch++
	r.meta.EpochLossSum, r.meta.EpochBatches, r.epochSec = 0, 0, 0
	r.opts.Log.Info("epoch", "kind", r.d.Kind, "epoch", em.Epoch, "step", em.Step, "train_loss", em.TrainLoss, "val_loss", em.ValLoss,
		"extra", em.Extra, "sec", r.lastEpoch())
	if err := r.saveProgress(ctx); err != nil {
		return err
	}
	return r.writeReports(ctx)
}

func (r *run) lastEpoch() float64 {
	if len(r.epochs) == 0 {
		return 0
	}
	return r.epochs[len(r.epochs)-1]
}

func (r *run) checkpoint() *model.Checkpoint { return r.task.Checkpoint(r.meta) }

func (r *run) saveProgress(ctx context.Context) error {
	raw, err := train.EncodeCheckpoint(r.checkpoint())
	if err != nil {
		return err
	}
	return r.out.WriteAll(ctx, train.ProgressKey, raw)
}

// commit writes the final checkpoint (only if absent), the reports, then
// drops the progress checkpoint.
func (r *run) commit(ctx context.Context) (*model.Meta, error) {
	r.meta.Complete = true
	c := r.checkpoint()
	if err := train.CommitCheckpoint(ctx, r.out, c); err != nil {
		return nil, err
	}
	if err := r.writeReports(ctx); err != nil {
		return nil, err
	}
	if err := r.out.Delete(ctx, train.ProgressKey); err != nil {
		return nil, err
	}
	return &c.Meta, nil
}
