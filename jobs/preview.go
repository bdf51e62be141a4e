package jobs

import (
	"fmt"
	"image"

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
	cmd.Flags().StringSlice("stack", nil, "for a level-k dataset: model URLs, level 1 first (default: found through the dataset's lineage)")
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
	d, closeData, err := e.openDataset(ctx, args[0])
	if err != nil {
		return err
	}
	defer closeData()
	var img *image.RGBA
	if d.Manifest.Level == 0 {
		img, err = preview.Grid(ctx, d, preview.Options{N: n})
	} else {
		img, err = decodedGrid(cmd, e, d, n)
	}
	if err != nil {
		return err
	}
	if err := writePNGFile(outPath, img); err != nil {
		return fmt.Errorf("preview: %w", err)
	}
	fmt.Fprintf(e.out, "wrote %s (%d images of level-%d %s data, %dx%d px)\n", outPath, min(n, int(d.Manifest.Rows)), d.Manifest.Level, d.Manifest.Shape, img.Bounds().Dx(), img.Bounds().Dy())
	return nil
}

// decodedGrid decodes a level-k dataset's first n rows to pixels.
func decodedGrid(cmd *cobra.Command, e *env, d *dataset.Dataset, n int) (*image.RGBA, error) {
	ctx := cmd.Context()
	urls, _ := cmd.Flags().GetStringSlice("stack")
	s, err := e.stackFor(ctx, urls, d)
	if err != nil {
		return nil, err
	}
	return preview.Decoded(ctx, d, s, preview.Options{N: n})
}
