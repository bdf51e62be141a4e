package jobs

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/stages/downstream"
	"github.com/stackae/stackae/stages/stack"
	"github.com/stackae/stackae/stages/train"
)

func newSample() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sample --model URL --out grid.png",
		Short: "Generate from a trained VAE or BEGAN and decode to pixels (a PNG grid)",
		Long: `Draw --n samples (z ~ N(0, I) from --seed) from the VAE or BEGAN at --model, decode them
through the stack (D_k..D_1: --stack, or the stack found through the lineage of the
dataset the model was trained on) and write a PNG grid of pixels to --out.`,
		Example: `  stackae sample --model ./data/two-layer/began --n 64 --out began.png
  stackae sample --model s3://bucket/vae --stack s3://bucket/l1/model,s3://bucket/l2/model --out vae.png --seed 7`,
		Args: exactArgs(0, "no arguments"),
		RunE: runSample,
	}
	f := cmd.Flags()
	f.String("model", "", "the VAE or BEGAN model URL")
	f.StringSlice("stack", nil, "model URLs of the stack, level 1 first (default: from lineage)")
	f.Int("n", 64, "number of samples")
	f.Uint64("seed", 1, "seed of z")
	f.String("out", "", "output PNG file")
	return cmd
}

func runSample(cmd *cobra.Command, _ []string) error {
	e, err := setup(cmd, nil)
	if err != nil {
		return err
	}
	f := cmd.Flags()
	modelURL, _ := f.GetString("model")
	out, _ := f.GetString("out")
	urls, _ := f.GetStringSlice("stack")
	n, _ := f.GetInt("n")
	seed, _ := f.GetUint64("seed")
	if modelURL == "" || out == "" {
		return usagef("sample: --model and --out are required")
	}
	if n < 1 {
		return usagef("sample: --n %d (want >= 1)", n)
	}
	if err := e.sample(cmd.Context(), modelURL, urls, n, seed, out); err != nil {
		return err
	}
	fmt.Fprintf(e.out, "wrote %d samples of %s to %s\n", n, modelURL, out)
	return nil
}

func (e *env) sample(ctx context.Context, modelURL string, urls []string, n int, seed uint64, out string) error {
	b, err := e.open(ctx, modelURL)
	if err != nil {
		return err
	}
	m, err := train.LoadModel(ctx, b)
	b.Close()
	if err != nil {
		return err
	}
	var s *stack.Stack
	if m.Meta.Level > 0 {
		if len(urls) > 0 {
			s, err = stack.Load(ctx, e.open, urls, downstream.SampleBatch)
		} else {
			s, err = e.lineageStack(ctx, m.Meta.Data)
		}
		if err != nil {
			return err
		}
	}
	img, err := downstream.SampleGrid(m.Checkpoint, s, n, seed)
	if err != nil {
		return fmt.Errorf("sample %s: %w", modelURL, err)
	}
	return writePNGFile(out, img)
}

// lineageStack is the stack that made the dataset at url.
func (e *env) lineageStack(ctx context.Context, url string) (*stack.Stack, error) {
	data, closeData, err := e.openDataset(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("find the stack through the model's training data: %w (or pass --stack)", err)
	}
	defer closeData()
	return stack.FromLineage(ctx, e.open, data, downstream.SampleBatch)
}
