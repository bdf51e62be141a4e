package jobs

import (
	"fmt"
	"image/png"
	"os"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/stages/preview"
)

func newPreview() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "preview URL --out grid.png",
		Short: "Write a PNG grid of a dataset's first images",
		Args:  exactArgs(1, "one dataset URL"),
		RunE:  runPreview,
	}
	cmd.Flags().String("out", "", "PNG file to write (required)")
	cmd.Flags().Int("n", 64, "number of images")
	return cmd
}

func runPreview(cmd *cobra.Command, args []string) error {
	e, err := setup(cmd, nil)
	if err != nil {
		return err
	}
	outPath, _ := cmd.Flags().GetString("out")
	n, _ := cmd.Flags().GetInt("n")
	if outPath == "" || n < 1 {
		return usagef("preview: --out FILE is required and --n must be >= 1")
	}
	ctx := cmd.Context()
	b, err := e.open(ctx, args[0])
	if err != nil {
		return err
	}
	defer b.Close()
	d, err := dataset.Open(ctx, b)
	if err != nil {
		return err
	}
	img, err := preview.Grid(ctx, d, preview.Options{N: n})
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dirOf(outPath), ".preview-*.png")
	if err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	defer os.Remove(f.Name())
	if err := png.Encode(f, img); err != nil {
		f.Close()
		return fmt.Errorf("preview %s: %w", outPath, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("preview %s: %w", outPath, err)
	}
	if err := os.Rename(f.Name(), outPath); err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	fmt.Fprintf(e.out, "wrote %s (%d images of %s, %dx%d px)\n", outPath, min(n, int(d.Manifest.Rows)), d.Manifest.Shape, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

func dirOf(path string) string {
	for i := len(path) - 1; i >= 0; i-- {
		if path[i] == '/' {
			return path[:i+1]
		}
	}
	return "."
}
