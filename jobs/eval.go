package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"io"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/stages/evaluate"
	"github.com/stackae/stackae/stages/stack"
)

func newEval() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "eval --stack MODEL_URL[,MODEL_URL...] --data LEVEL0_URL",
		Short: "Full-stack and per-level validation loss of a stack, with a reconstruction PNG",
		Long: `Evaluate a stack (level 1 first) on the validation split of its level-0 dataset:
for each level j the pixel MSE (values in [-1,1]) of reconstructions from level j,
x -> E_1..E_j -> D_j..D_1, and level j's own loss in its input space. Writes
eval.json and reconstructions.png (originals, then one row per level) to --out.`,
		Args: exactArgs(0, "no arguments"),
		RunE: runEval,
	}
	f := cmd.Flags()
	f.StringSlice("stack", nil, "model URLs, level 1 first")
	f.String("data", "", "level-0 dataset URL")
	f.String("out", "", "where eval.json and reconstructions.png go (default: <top model>/eval)")
	f.Int("max-rows", 0, "validation rows to evaluate (default 2048; 0 in a config file: all)")
	f.Int("images", 0, "originals in the PNG (default 12)")
	return cmd
}

var evalFlags = map[string]string{"stack": "eval.stack", "data": "eval.data", "out": "eval.out", "max-rows": "eval.max_rows", "images": "eval.images"}

func runEval(cmd *cobra.Command, _ []string) error {
	e, err := setup(cmd, evalFlags)
	if err != nil {
		return err
	}
	job := e.cfg.Eval
	if len(job.Stack) == 0 || job.Data == "" {
		return usagef("eval: --stack and --data are required")
	}
	if err := job.Validate(); err != nil {
		return usageError{err}
	}
	outURL := job.Out
	if outURL == "" {
		outURL = job.Stack[len(job.Stack)-1] + "/eval"
	}
	rep, s, err := e.evaluate(cmd.Context(), job.Config, job.Stack, job.Data, outURL, false)
	if err != nil {
		return err
	}
	printEval(e.out, s, rep)
	fmt.Fprintf(e.out, "  %s/eval.json\n  %s/reconstructions.png\n", outURL, outURL)
	return nil
}

// evaluate runs the stack on the level-0 dataset and writes eval.json and
// reconstructions.png to outURL; with skipSame, an eval.json of the same
// identity already there makes it return dataset.ErrCommitted instead.
func (e *env) evaluate(ctx context.Context, cfg evaluate.Config, stackURLs []string, dataURL, outURL string, skipSame bool) (*evaluate.Report, *stack.Stack, error) {
	s, err := stack.Load(ctx, e.open, stackURLs, 64)
	if err != nil {
		return nil, nil, err
	}
	d, closeData, err := e.openDataset(ctx, dataURL)
	if err != nil {
		return nil, nil, err
	}
	defer closeData()
	out, err := e.open(ctx, outURL)
	if err != nil {
		return nil, nil, err
	}
	defer out.Close()
	if old, err := out.ReadAll(ctx, "eval.json"); err == nil && skipSame {
		var rep evaluate.Report
		if json.Unmarshal(old, &rep) == nil && rep.Identity == evaluate.Identity(cfg, s, d) {
			return &rep, s, fmt.Errorf("eval %s: %w", out.URL(), dataset.ErrCommitted)
		}
	}
	rep, img, err := evaluate.Run(ctx, cfg, s, d, 64)
	if err != nil {
		return nil, nil, err
	}
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		return nil, nil, err
	}
	if err := out.WriteAll(ctx, "reconstructions.png", pic.Bytes()); err != nil {
		return nil, nil, err
	}
	js, _ := json.MarshalIndent(rep, "", "  ")
	return rep, s, out.WriteAll(ctx, "eval.json", append(js, '\n')) // last: it marks the work done
}

func printEval(w io.Writer, s *stack.Stack, rep *evaluate.Report) {
	fmt.Fprintf(w, "%d validation rows of %s\n", rep.Rows, rep.Data)
	fmt.Fprintf(w, "%-6s %-10s %-10s %-12s %s\n", "level", "input", "encoding", "level loss", "full-stack loss (pixels)")
	for i, l := range s.Levels {
		a := l.Meta.Arch
		in, code := a.InShape, a.CodeShape()
		fmt.Fprintf(w, "%-6d %-10s %-10s %-12.6f %.6f\n", i+1, fmt.Sprintf("%dx%dx%d", in[0], in[1], in[2]),
			fmt.Sprintf("%dx%dx%d", code[0], code[1], code[2]), rep.LevelLocal[i], rep.FullStack[i])
	}
}
