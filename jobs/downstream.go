package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/configs"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/downstream"
	"github.com/stackae/stackae/stages/stack"
	"github.com/stackae/stackae/stages/train"
)

func newDownstream() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "downstream",
		Short: "Models trained on a level's encodings: classifier, VAE, BEGAN",
		Args:  exactArgs(0, "a subcommand (train)"),
	}
	cmd.AddCommand(newDownstreamTrain())
	return cmd
}

func newDownstreamTrain() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "train --kind classifier|vae|began --data URL --model URL",
		Short: "Train a classifier, VAE or BEGAN on the dataset at --data (any level)",
		Long: `Train a downstream model on a dataset of any level: pixels (level 0, the baseline) or a
level's encodings, read from storage, never re-encoded. The model URL receives
checkpoint.safetensors (when training completes), metrics.json and curves.png;
vae and began also write samples.png and reconstructions.png decoded through the
stack (found through the dataset's lineage, or --stack). progress/checkpoint.safetensors
is written every --checkpoint-every batches; a killed run started again resumes from it.

classifier: a conv net (an MLP on 1x1xC encodings) on the label column.
vae:        a conv VAE, loss sum((x'-x)^2)/B + beta * KL.
began:      BEGAN (Berthelot et al. 2017): gamma 0.5, lambda_k 0.001, Adam lr 1e-4 beta1 0.5,
            batch 16, z of 64; M_global and k_t curves.`,
		Example: `  stackae downstream train --kind classifier --data ./data/fmnist/level1/data --model ./data/fmnist/clf-l1
  stackae downstream train --kind began --data s3://bucket/emoji/level2/data --model s3://bucket/emoji/began --epochs 20`,
		Args: exactArgs(0, "no arguments"),
		RunE: runDownstreamTrain,
	}
	f := cmd.Flags()
	f.String("kind", "", "classifier, vae or began (default classifier)")
	f.String("data", "", "input dataset URL (any level)")
	f.String("model", "", "output model URL")
	f.StringSlice("stack", nil, "model URLs that decode --data to pixels, level 1 first (default: from lineage)")
	f.Int("width", 0, "conv channels (default 32)")
	f.Int("hidden", 0, "dense units (default 128)")
	f.Int("latent", 0, "z size, vae and began (default 64)")
	f.Float64("beta", 0, "weight of the VAE's KL term (default 1)")
	f.Int("epochs", 0, "epochs (default 1)")
	f.Int("max-steps", 0, "stop after this many batches (default: no cap)")
	f.Int("batch", 0, "batch size (default 16)")
	f.Float64("lr", 0, "Adam learning rate (default 1e-4)")
	f.Uint64("seed", 0, "seed for weights, shuffling and noise (default 1)")
	f.Int("checkpoint-every", 0, "batches between progress checkpoints (default 200)")
	f.Int("val-batches", 0, "cap on validation batches per epoch (default: all)")
	f.Bool("overwrite", false, "replace a trained model of other lineage at --model")
	return cmd
}

var downstreamFlags = map[string]string{
	"kind": "downstream.kind", "data": "downstream.data", "width": "downstream.width", "hidden": "downstream.hidden",
	"latent": "downstream.latent", "beta": "downstream.beta", "model": "downstream.model", "stack": "downstream.stack",
	"epochs": "downstream.epochs", "max-steps": "downstream.max_steps", "batch": "downstream.batch", "lr": "downstream.lr",
	"seed": "downstream.seed", "checkpoint-every": "downstream.checkpoint_every", "val-batches": "downstream.val_batches",
}

func runDownstreamTrain(cmd *cobra.Command, _ []string) error {
	e, err := setup(cmd, downstreamFlags)
	if err != nil {
		return err
	}
	job := e.cfg.Downstream
	if job.Data == "" || job.Model == "" {
		return usagef("downstream train: --data (downstream.data) and --model (downstream.model) are required")
	}
	if err := job.Validate(); err != nil {
		return usageError{err}
	}
	overwrite, _ := cmd.Flags().GetBool("overwrite")
	meta, err := e.downstream(cmd.Context(), job, overwrite)
	if errors.Is(err, dataset.ErrCommitted) {
		fmt.Fprintf(e.out, "%s already holds this trained model: nothing to do\n", job.Model)
		return nil
	}
	if err != nil {
		return err
	}
	printDownstream(e.out, job.Model, meta)
	return nil
}

func printDownstream(w io.Writer, url string, meta *model.Meta) {
	last := lastEpoch(meta)
	fmt.Fprintf(w, "trained %s at %s on level %d: %d batches, train loss %.5f", meta.Kind, url, meta.Level, meta.Step, last.TrainLoss)
	switch acc, ok := last.Extra["val_accuracy"]; {
	case last.ValLoss < 0:
		fmt.Fprint(w, ", no validation rows")
	case ok:
		fmt.Fprintf(w, ", validation loss %.5f, accuracy %.4f", last.ValLoss, acc)
	default:
		fmt.Fprintf(w, ", validation loss %.5f", last.ValLoss)
	}
	fmt.Fprintf(w, "\n  %s/%s\n  %s/%s\n  %s/%s\n", url, train.CheckpointKey, url, train.MetricsKey, url, downstream.CurvesKey)
	if meta.Kind != model.KindClassifier {
		fmt.Fprintf(w, "  %s/%s\n  %s/%s\n", url, downstream.SamplesKey, url, downstream.ReconKey)
	}
}

// downstream trains job's model, with the stack that decodes its data.
func (e *env) downstream(ctx context.Context, job configs.DownstreamJob, overwrite bool) (*model.Meta, error) {
	data, closeData, err := e.openDataset(ctx, job.Data)
	if err != nil {
		return nil, err
	}
	defer closeData()
	var s *stack.Stack
	if job.Kind != model.KindClassifier && data.Manifest.Level > 0 {
		if s, err = e.stackFor(ctx, job.Stack, data); err != nil {
			return nil, err
		}
	}
	out, err := e.open(ctx, job.Model)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	update, finish := e.progress("downstream", "batches")
	defer finish()
	return downstream.Run(ctx, job.Config, data, out, downstream.Options{RunID: e.runID, Version: Version(), Overwrite: overwrite,
		Stack: s, Progress: update, Log: e.log})
}

// stackFor loads the stack at urls, or the one data's lineage names.
func (e *env) stackFor(ctx context.Context, urls []string, data *dataset.Dataset) (*stack.Stack, error) {
	if len(urls) > 0 {
		return stack.Load(ctx, e.open, urls, downstream.SampleBatch)
	}
	return stack.FromLineage(ctx, e.open, data, downstream.SampleBatch)
}
