package jobs

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"io"

	"github.com/spf13/cobra"
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
	ctx := cmd.Context()
	s, err := stack.Load(ctx, e.open, job.Stack, 64)
	if err != nil {
		return err
	}
	data, closeData, err := e.openDataset(ctx, job.Data)
	if err != nil {
		return err
	}
	defer closeData()
	rep, img, err := evaluate.Run(ctx, job.Config, s, data, 64)
	if err != nil {
		return err
	}
	outURL := job.Out
	if outURL == "" {
		outURL = job.Stack[len(job.Stack)-1] + "/eval"
	}
	out, err := e.open(ctx, outURL)
	if err != nil {
		return err
	}
	defer out.Close()
	js, _ := json.MarshalIndent(rep, "", "  ")
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		return err
	}
	if err := out.WriteAll(ctx, "eval.json", append(js, '\n')); err != nil {
		return err
	}
	if err := out.WriteAll(ctx, "reconstructions.png", pic.Bytes()); err != nil {
		return err
	}
	printEval(e.out, s, rep)
	fmt.Fprintf(e.out, "  %s\n  %s\n", out.KeyURL("eval.json"), out.KeyURL("reconstructions.png"))
	return nil
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
