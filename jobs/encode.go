package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/stages/encode"
	"github.com/stackae/stackae/stages/train"
)

func newEncode() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "encode --data URL --model URL --to URL [--shard i/n | --finalize --shards n]",
		Short: "Encode a level k-1 dataset with the level-k encoder into a level-k dataset",
		Long: `Stream the dataset at --data through the encoder of the trained level at --model and
write the level-k dataset at --to (float32 encodings; ids, labels and splits carried over;
lineage pointing at the source manifest and the checkpoint's sha256).

To spread the work, run --shard i/n for i = 0..n-1 (on as many machines as you like),
then --finalize --shards n: it checks every part and commits the dataset. The result is
byte-for-byte the dataset a single run writes.`,
		Example: `  stackae encode --data ./data/emoji --model ./data/models/l1 --to ./data/emoji-l1
  stackae encode --data s3://b/emoji --model s3://b/l1 --to s3://b/emoji-l1 --shard 0/4   # ... 3/4
  stackae encode --data s3://b/emoji --model s3://b/l1 --to s3://b/emoji-l1 --finalize --shards 4`,
		Args: exactArgs(0, "no arguments"),
		RunE: runEncode,
	}
	f := cmd.Flags()
	f.String("data", "", "input dataset URL (level k-1)")
	f.String("model", "", "trained level-k model URL")
	f.String("to", "", "output dataset URL")
	f.String("shard", "0/1", "encode part i of n")
	f.Bool("finalize", false, "commit a dataset encoded in --shards parts")
	f.Int("shards", 0, "number of parts (with --finalize)")
	f.Int("batch", 0, "rows per encoder call (default 64)")
	f.Int("shard-mb", 0, "target raw MiB per output shard (default 128)")
	f.Bool("overwrite", false, "replace a committed dataset of other lineage at --to")
	return cmd
}

var encodeFlags = map[string]string{"data": "encode.data", "model": "encode.model", "to": "encode.to", "batch": "encode.batch", "shard-mb": "encode.shard_mb"}

func runEncode(cmd *cobra.Command, _ []string) error {
	e, err := setup(cmd, encodeFlags)
	if err != nil {
		return err
	}
	job := e.cfg.Encode
	if job.Data == "" || job.Model == "" || job.To == "" {
		return usagef("encode: --data, --model and --to are required")
	}
	if err := job.Validate(); err != nil {
		return usageError{err}
	}
	f := cmd.Flags()
	shardFlag, _ := f.GetString("shard")
	part, err := encode.ParsePart(shardFlag)
	if err != nil {
		return usageError{err}
	}
	finalize, _ := f.GetBool("finalize")
	shards, _ := f.GetInt("shards")
	if finalize && shards < 1 {
		return usagef("encode: --finalize needs --shards n (the n of the parts)")
	}
	overwrite, _ := f.GetBool("overwrite")
	if !finalize {
		shards = 0
	}
	m, err := e.encode(cmd.Context(), job.Config, job.Data, job.Model, job.To, part, shards, overwrite)
	switch {
	case errors.Is(err, dataset.ErrCommitted):
		fmt.Fprintf(e.out, "%s already holds this dataset: nothing to do\n", job.To)
		return nil
	case err != nil:
		return err
	case m == nil:
		fmt.Fprintf(e.out, "encoded part %s into %s; commit with --finalize --shards %d once every part is done\n", part, job.To, part.N)
		return nil
	}
	fmt.Fprintf(e.out, "committed %s: level %d, %d rows (%s), %s float32, %d shard(s), %s\n", job.To, m.Level, m.Rows,
		splitSummary(m), m.Shape, len(m.Shards), humanBytes(totalBytes(m)))
	return nil
}

// encode runs part p of encoding dataURL with the model into to, or, when
// finalize > 0, commits a dataset encoded in that many parts.
func (e *env) encode(ctx context.Context, cfg encode.Config, dataURL, modelURL, to string, p encode.Part, finalize int, overwrite bool) (*dataset.Manifest, error) {
	data, closeData, err := e.openDataset(ctx, dataURL)
	if err != nil {
		return nil, err
	}
	defer closeData()
	mb, err := e.open(ctx, modelURL)
	if err != nil {
		return nil, err
	}
	mdl, err := train.LoadModel(ctx, mb)
	mb.Close()
	if err != nil {
		return nil, err
	}
	out, err := e.open(ctx, to)
	if err != nil {
		return nil, err
	}
	defer out.Close()
	update, finish := e.progress("encode", "rows")
	defer finish()
	opts := encode.Options{RunID: e.runID, Version: Version(), Overwrite: overwrite, Progress: update, Log: e.log}
	if finalize > 0 {
		return encode.Finalize(ctx, cfg, data, mdl, out, finalize, opts)
	}
	return encode.Run(ctx, cfg, data, mdl, out, p, opts)
}
