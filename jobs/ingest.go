package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/stages/ingest"
)

func newIngest() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "ingest --from KIND:PATH --to URL",
		Short: "Turn images into a level-0 dataset",
		Long: `Ingest images into a level-0 dataset (uint8 pixels, values x*2/255-1 in [-1,1]).

KIND is one of:
  idx:DIR_OR_FILE       MNIST-family IDX files (.gz or not), images + labels
  images:DIR            PNG/JPEG files, recursively; the first sub-folder names the class
  emoji:TGZ_OR_DIR[,..] emoji-datasource-<vendor> npm packages; label = emoji.json category

Running the same command again after success does nothing (exit 0). An output that
holds a dataset of other lineage is refused unless --overwrite.`,
		Example: `  stackae ingest --from idx:/usr/share/datasets/fashion-mnist --to ./data/fashion-mnist
  stackae ingest --from emoji:google.tgz --size 64x64 --to s3://bucket/stackae/emoji`,
		Args: exactArgs(0, "no arguments"),
		RunE: runIngest,
	}
	f := cmd.Flags()
	f.String("from", "", "input, KIND:PATH")
	f.String("to", "", "output dataset URL (file path, file://, s3://, mem://)")
	f.String("name", "", "dataset name (default: last element of --to)")
	f.String("size", "", "HxW to centre-crop and resize to (default: the images' own size)")
	f.Int("channels", 0, "1 (gray) or 3 (RGB); default: the source's")
	f.Float64("validation", 0, "fraction of rows in the validation split (default 0.1)")
	f.StringSlice("classes", nil, "names of label values 0..n-1")
	f.Int("workers", 0, "parallel decoders (default: one per CPU)")
	f.Int("shard-mb", 0, "target raw MiB per shard (default 128)")
	f.Bool("overwrite", false, "replace a committed dataset of other lineage at --to")
	return cmd
}

var ingestFlags = map[string]string{
	"from": "ingest.from", "to": "ingest.to", "name": "ingest.name", "size": "ingest.size",
	"channels": "ingest.channels", "validation": "ingest.validation", "classes": "ingest.classes",
	"workers": "ingest.workers", "shard-mb": "ingest.shard_mb",
}

func runIngest(cmd *cobra.Command, _ []string) error {
	e, err := setup(cmd, ingestFlags)
	if err != nil {
		return err
	}
	job := e.cfg.Ingest
	if job.To == "" {
		return usagef("ingest: --to (ingest.to) is required")
	}
	if err := job.Validate(); err != nil {
		return usageError{err}
	}
	overwrite, _ := cmd.Flags().GetBool("overwrite")
	m, url, err := e.ingest(cmd.Context(), job.Config, job.To, overwrite)
	if errors.Is(err, dataset.ErrCommitted) {
		fmt.Fprintf(e.out, "%s already holds this dataset: nothing to do\n", url)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.out, "committed %s: %d rows (%s), %s, %d shard(s), %s\n", url, m.Rows,
		splitSummary(m), m.Shape, len(m.Shards), humanBytes(totalBytes(m)))
	return nil
}

// ingest runs the ingest stage into the dataset at to; it also returns
// the output's canonical URL.
func (e *env) ingest(ctx context.Context, cfg ingest.Config, to string, overwrite bool) (*dataset.Manifest, string, error) {
	out, err := e.open(ctx, to)
	if err != nil {
		return nil, to, err
	}
	defer out.Close()
	update, finish := e.progress("ingest", "images")
	defer finish()
	m, err := ingest.Run(ctx, cfg, out, ingest.Options{RunID: e.runID, Version: Version(), Overwrite: overwrite, Progress: update, Log: e.log})
	return m, out.URL(), err
}

func splitSummary(m *dataset.Manifest) string {
	return fmt.Sprintf("train %d, validation %d", m.Splits[dataset.Train], m.Splits[dataset.Validation])
}

func totalBytes(m *dataset.Manifest) int64 {
	var n int64
	for _, s := range m.Shards {
		n += s.Bytes
	}
	return n
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
