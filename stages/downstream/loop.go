package downstream

import (
	"context"
	"fmt"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

// run is one downstream run: a train.Loop over a Task.
type run struct {
	cfg  Config
	d    model.Downstream
	data *dataset.Dataset
	out  *storage.Bucket
	opts Options
	task *model.Task
	lp   *train.Loop
}

func newRun(ctx context.Context, cfg Config, d model.Downstream, data *dataset.Dataset, out *storage.Bucket, meta model.Meta, opts Options) (*run, error) {
	t, meta, err := resumeOrStart(ctx, out, d, cfg, meta, opts.Log)
	if err != nil {
		return nil, err
	}
	lc := train.LoopConfig{Batch: cfg.Batch, Epochs: cfg.Epochs, MaxSteps: cfg.MaxSteps, CheckpointEvery: cfg.CheckpointEvery, Seed: cfg.Seed}
	if d.Kind == model.KindBEGAN {
		lc.EpochMeans = []string{"m_global"}
	}
	r := &run{cfg: cfg, d: d, data: data, out: out, opts: opts, task: t}
	if r.lp, err = train.NewLoop(lc, data, out, taskLearner{r}, meta); err != nil {
		return nil, err
	}
	r.lp.Progress, r.lp.Log, r.lp.Reports, r.lp.Validate = opts.Progress, opts.Log.With("kind", d.Kind), r.writeReports, r.validate
	opts.Log.Info("training downstream", "kind", d.Kind, "data", data.URL(), "model", out.URL(), "level", meta.Level,
		"in", d.InShape, "params", t.Params.Count(), "batches_per_epoch", r.lp.PerEpoch, "batches", r.lp.Total)
	return r, nil
}

// taskLearner adapts a Task to the Loop, checking labels first.
type taskLearner struct{ r *run }

func (l taskLearner) Steps() int { return l.r.task.Adam.Step }

func (l taskLearner) Step(b *dataset.Batch, x []float32) (model.Losses, error) {
	if err := l.r.checkLabels(b); err != nil {
		return nil, err
	}
	return l.r.task.Step(x, b.Labels)
}

func (l taskLearner) Checkpoint(meta model.Meta) *model.Checkpoint { return l.r.task.Checkpoint(meta) }

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
