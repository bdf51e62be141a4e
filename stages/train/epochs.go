package train

import (
	"context"
	"fmt"
	"log/slog"
	"sort"
	"strings"
	"time"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/storage"
)

// Learner is what a Loop trains: a stack level or a downstream model.
type Learner interface {
	// Steps is the number of batches trained so far (the optimiser's step).
	Steps() int
	// Step trains on one batch (x: its NCHW values) and returns its losses
	// by name; "loss" is the one the run reports.
	Step(b *dataset.Batch, x []float32) (model.Losses, error)
	// Checkpoint captures the learner's state under meta.
	Checkpoint(meta model.Meta) *model.Checkpoint
}

// LoopConfig is how long and how a Loop trains.
type LoopConfig struct {
	Batch, Epochs, MaxSteps, CheckpointEvery int
	Seed                                     uint64
	// EpochMeans are step losses whose epoch mean goes into the epoch's
	// metrics (BEGAN: "m_global").
	EpochMeans []string
}

// Loop trains a Learner epoch by epoch on a dataset's train split:
// shuffled per epoch from the seed, resumable mid-epoch from the progress
// checkpoint it writes every CheckpointEvery batches (a resumed run ends
// bit-identical to an uninterrupted one), validated and reported after
// every epoch, committed at the end.
type Loop struct {
	Cfg  LoopConfig
	Data *dataset.Dataset
	Out  *storage.Bucket
	L    Learner
	// Meta is the run's checkpoint metadata (history, curves, epoch state).
	Meta model.Meta
	// Validate scores the learner after each epoch: a loss (negative
	// without validation rows) and other numbers.
	Validate func(ctx context.Context) (float64, map[string]float64, error)
	// Reports writes metrics and pictures after each epoch and at commit.
	Reports  func(ctx context.Context) error
	Progress func(done, total int)
	Log      *slog.Logger
	// PerEpoch and Total are the batches per epoch and in all.
	PerEpoch, Total int
	// SecPerBatch and SecPerEpoch are wall times (training steps; reading
	// and training) of the epochs this process trained.
	SecPerBatch, SecPerEpoch []float64
	epochSec                 float64
}

// epochSum prefixes the Meta.State keys that sum a step loss over the epoch
// in progress (checkpointed, so a resumed epoch reports the same).
const epochSum = "epoch_sum."

// NewLoop sizes the run: whole batches per epoch, capped by MaxSteps.
func NewLoop(cfg LoopConfig, data *dataset.Dataset, out *storage.Bucket, l Learner, meta model.Meta) (*Loop, error) {
	rows := int(data.Manifest.Splits[dataset.Train])
	spe := rows / cfg.Batch
	if spe == 0 {
		return nil, fmt.Errorf("train on %s: %d train rows, fewer than one batch of %d", data.URL(), rows, cfg.Batch)
	}
	lp := &Loop{Cfg: cfg, Data: data, Out: out, L: l, Meta: meta, PerEpoch: spe, Total: cfg.Epochs * spe, Log: slog.New(slog.DiscardHandler)}
	if cfg.MaxSteps > 0 {
		lp.Total = min(lp.Total, cfg.MaxSteps)
	}
	return lp, nil
}

func (lp *Loop) done() bool { return lp.L.Steps() >= lp.Total }

// Run trains until Total batches are done.
func (lp *Loop) Run(ctx context.Context) error {
	for !lp.done() {
		if err := lp.epoch(ctx); err != nil {
			return err
		}
	}
	// Killed after its last batch's progress checkpoint but before the end
	// of that epoch: end it now, as the uninterrupted run did.
	if lp.Meta.EpochBatches > 0 {
		return lp.endEpoch(ctx, 0)
	}
	return nil
}

// epoch trains the rest of the current epoch (all of it unless resuming),
// then validates and reports.
func (lp *Loop) epoch(ctx context.Context) error {
	e := lp.Meta.Epoch
	skip := lp.L.Steps() - e*lp.PerEpoch // batches of this epoch already trained
	i, start := 0, time.Now()
	m := lp.Data.Manifest
	for b, err := range lp.Data.Scan(ctx, dataset.ScanOptions{Split: dataset.Train, Shuffle: true, Seed: lp.Cfg.Seed*1_000_003 + uint64(e), BatchSize: lp.Cfg.Batch}) {
		if err != nil {
			return err
		}
		if b.Len() < lp.Cfg.Batch || lp.done() {
			break
		}
		if i++; i <= skip {
			continue
		}
		if err := lp.step(ctx, b, model.ToNCHW(b.Float32(m.Scale, m.Offset), b.Len(), m.Shape[0], m.Shape[1], m.Shape[2])); err != nil {
			return err
		}
	}
	return lp.endEpoch(ctx, time.Since(start).Seconds())
}

func (lp *Loop) step(ctx context.Context, b *dataset.Batch, x []float32) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	start := time.Now()
	l, err := lp.L.Step(b, x)
	if err != nil {
		return err
	}
	lp.epochSec += time.Since(start).Seconds()
	lp.Meta.EpochLossSum += l["loss"]
	lp.Meta.EpochBatches++
	step := lp.L.Steps()
	if lp.Log.Enabled(ctx, slog.LevelDebug) { // every step: BEGAN's M_global and k_t
		lp.Log.Debug("step", "step", step, "losses", l)
	}
	others := otherKeys(l)
	for _, k := range others {
		if lp.Meta.State == nil {
			lp.Meta.State = map[string]float64{}
		}
		lp.Meta.State[epochSum+k] += l[k]
	}
	if step%max(1, lp.Total/200) == 0 || step == 1 { // ~200 points whatever the run length
		lp.Meta.Curve = append(lp.Meta.Curve, model.StepLoss{Step: step, Loss: l["loss"]})
		for _, k := range others {
			if lp.Meta.Curves == nil {
				lp.Meta.Curves = map[string][]model.StepLoss{}
			}
			lp.Meta.Curves[k] = append(lp.Meta.Curves[k], model.StepLoss{Step: step, Loss: l[k]})
		}
	}
	if lp.Progress != nil {
		lp.Progress(step, lp.Total)
	}
	if step%lp.Cfg.CheckpointEvery == 0 {
		return lp.saveProgress(ctx)
	}
	return nil
}

// otherKeys are the loss names besides "loss", sorted.
func otherKeys(l model.Losses) []string {
	var keys []string
	for k := range l {
		if k != "loss" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// endEpoch validates and reports; wall is the epoch's reading and training
// time in this process.
func (lp *Loop) endEpoch(ctx context.Context, wall float64) error {
	val, extra, err := lp.Validate(ctx)
	if err != nil {
		return err
	}
	n := float64(max(1, lp.Meta.EpochBatches))
	em := model.EpochMetrics{Epoch: lp.Meta.Epoch + 1, Step: lp.L.Steps(), TrainLoss: lp.Meta.EpochLossSum / n, ValLoss: val, Extra: extra}
	for _, k := range lp.Cfg.EpochMeans {
		if sum, ok := lp.Meta.State[epochSum+k]; ok {
			if em.Extra == nil {
				em.Extra = map[string]float64{}
			}
			em.Extra[k] = sum / n
		}
	}
	for k := range lp.Meta.State {
		if strings.HasPrefix(k, epochSum) {
			delete(lp.Meta.State, k)
		}
	}
	lp.Meta.History = append(lp.Meta.History, em)
	if lp.Meta.EpochBatches > 0 && lp.epochSec > 0 { // this process trained some of it
		lp.SecPerBatch = append(lp.SecPerBatch, lp.epochSec/n)
		lp.SecPerEpoch = append(lp.SecPerEpoch, wall)
	}
	lp.Meta.Epoch++
	lp.Meta.EpochLossSum, lp.Meta.EpochBatches, lp.epochSec = 0, 0, 0
	lp.Log.Info("epoch", "epoch", em.Epoch, "step", em.Step, "train_loss", em.TrainLoss, "val_loss", em.ValLoss, "extra", em.Extra, "sec", wall)
	if err := lp.saveProgress(ctx); err != nil {
		return err
	}
	return lp.Reports(ctx)
}

// Checkpoint is the learner's state under the run's metadata.
func (lp *Loop) Checkpoint() *model.Checkpoint { return lp.L.Checkpoint(lp.Meta) }

func (lp *Loop) saveProgress(ctx context.Context) error {
	raw, err := EncodeCheckpoint(lp.Checkpoint())
	if err != nil {
		return err
	}
	return lp.Out.WriteAll(ctx, ProgressKey, raw)
}

// Commit writes the final checkpoint (only if absent), then the reports,
// then drops the progress checkpoint.
func (lp *Loop) Commit(ctx context.Context) (*model.Meta, error) {
	lp.Meta.Complete = true
	c := lp.Checkpoint()
	if err := CommitCheckpoint(ctx, lp.Out, c); err != nil {
		return nil, err
	}
	if err := lp.Reports(ctx); err != nil {
		return nil, err
	}
	if err := lp.Out.Delete(ctx, ProgressKey); err != nil {
		return nil, err
	}
	return &c.Meta, nil
}
