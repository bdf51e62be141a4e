package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/train"
)

func newTrain() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train --data URL --model URL",
		Short: "Train the stack level whose input is the dataset at --data",
		Long: `Train one level of the stack: a conv autoencoder whose input is the dataset at --data
(a level k-1 dataset gives the level k model). The model URL receives
checkpoint.safetensors (when training completes), metrics.json and loss.png;
progress/checkpoint.safetensors is written every --checkpoint-every batches, and a
killed run started again with the same command resumes from it.

Defaults are the reference architecture: factor 8, 32 features, width 32, 4x4 convs,
Adam lr 1e-4, beta1 0.5, batch 32.`,
		Example: `  stackae train --data ./data/emoji --model ./data/models/l1 --factor 8 --features 32 --epochs 5
  stackae train --data ./data/emoji-l1 --model ./data/models/l2 --factor flatten --max-steps 2000`,
		Args: exactArgs(0, "no arguments"),
		RunE: runTrain,
	}
	f := cmd.Flags()
	f.String("data", "", "input dataset URL (level k-1)")
	f.String("model", "", "output model URL")
	f.String("factor", "", "downscaling factor: 2, 4, 8, ... or flatten (default 8)")
	f.Int("features", 0, "features per pixel of the encoding (default 32)")
	f.Int("width", 0, "hidden channels (default 32)")
	f.Int("blocks", 0, "conv blocks per scale (default 1)")
	f.Int("epochs", 0, "epochs (default 1)")
	f.Int("max-steps", 0, "stop after this many batches (default: no cap)")
	f.Int("batch", 0, "batch size (default 32)")
	f.Float64("lr", 0, "Adam learning rate (default 1e-4)")
	f.Uint64("seed", 0, "seed for weights and shuffling (default 1)")
	f.Int("checkpoint-every", 0, "batches between progress checkpoints (default 200)")
	f.Int("val-batches", 0, "cap on validation batches per epoch (default: all)")
	f.Bool("overwrite", false, "replace a trained model of other lineage at --model")
	return cmd
}

var trainFlags = map[string]string{
	"data": "train.data", "model": "train.model", "factor": "train.factor", "features": "train.features",
	"width": "train.width", "blocks": "train.blocks", "epochs": "train.epochs", "max-steps": "train.max_steps",
	"batch": "train.batch", "lr": "train.lr", "seed": "train.seed", "checkpoint-every": "train.checkpoint_every",
	"val-batches": "train.val_batches",
}

func runTrain(cmd *cobra.Command, _ []string) error {
	e, err := setup(cmd, trainFlags)
	if err != nil {
		return err
	}
	job := e.cfg.Train
	if job.Data == "" || job.Model == "" {
		return usagef("train: --data (train.data) and --model (train.model) are required")
	}
	if err := job.Validate(); err != nil {
		return usageError{err}
	}
	overwrite, _ := cmd.Flags().GetBool("overwrite")
	meta, err := e.train(cmd.Context(), job.Config, job.Data, job.Model, overwrite)
	if errors.Is(err, dataset.ErrCommitted) {
		fmt.Fprintf(e.out, "%s already holds this trained model: nothing to do\n", job.Model)
		return nil
	}
	if err != nil {
		return err
	}
	last := lastEpoch(meta)
	fmt.Fprintf(e.out, "trained level %d at %s: %d batches, train loss %.5f, validation loss %.5f\n  %s/%s\n  %s/%s\n  %s/%s\n",
		meta.Level, job.Model, meta.Step, last.TrainLoss, last.ValLoss,
		job.Model, train.CheckpointKey, job.Model, train.MetricsKey, job.Model, train.LossPlotKey)
	return nil
}

// train trains the level on the dataset at dataURL into modelURL.
func (e *env) train(ctx context.Context, cfg train.Config, dataURL, modelURL string, overwrite bool) (*model.Meta, error) {
	data, closeData, err := e.openDataset(ctx, dataURL)
	if err != nil {
		return nil, err
	}
	defer closeData()
	out, err := e.open(ctx, modelURL)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	update, finish := e.progress("train", "batches")
	defer finish()
	return train.Run(ctx, cfg, data, out, train.Options{RunID: e.runID, Version: Version(), Overwrite: overwrite, Progress: update, Log: e.log})
}

// lastEpoch is the model's last epoch's metrics (a validation loss of -1
// when it has none).
func lastEpoch(m *model.Meta) model.EpochMetrics {
	if len(m.History) == 0 {
		return model.EpochMetrics{ValLoss: -1}
	}
	return m.History[len(m.History)-1]
}
