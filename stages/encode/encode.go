package encode

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

// Options are the run-time settings of one encode run.
type Options struct {
	RunID, Version string
	Overwrite      bool
	Progress       func(done, total int)
	Log            *slog.Logger
}

// job is what every part and the finalize step agree on.
type job struct {
	cfg     Config
	data    *dataset.Dataset
	mdl     *train.Model
	out     *storage.Bucket
	opts    Options
	tmpl    dataset.Manifest
	perRows int64 // rows per output shard
	shards  int   // output shards in all
}

func newJob(cfg Config, data *dataset.Dataset, mdl *train.Model, out *storage.Bucket, opts Options) (*job, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	m, meta := data.Manifest, mdl.Meta
	if meta.Arch.InShape != [3]int(m.Shape) || meta.Level != m.Level+1 {
		return nil, fmt.Errorf("level chain mismatch: model %s is level %d for %v inputs (trained on %s), but dataset %s is level %d of %s",
			mdl.URL, meta.Level, meta.Arch.InShape, meta.Data, data.URL(), m.Level, m.Shape)
	}
	code := meta.Arch.CodeShape()
	j := &job{cfg: cfg, data: data, mdl: mdl, out: out, opts: opts}
	j.tmpl = dataset.Manifest{Name: levelName(m.Name, meta.Level), Level: meta.Level, Shape: dataset.Shape(code), DType: dataset.Float32,
		Scale: 1, Classes: m.Classes, Lineage: dataset.Lineage{
			Source: &dataset.Ref{URL: data.URL(), SHA256: data.ManifestSHA256}, Model: &dataset.Ref{URL: mdl.URL, SHA256: mdl.SHA256},
			ConfigHash: ConfigHash(cfg), StackaeVersion: opts.Version, RunID: opts.RunID, CreatedAt: time.Now().UTC().Truncate(time.Second)}}
	rg := int64(dataset.RowGroupRows(j.tmpl.Shape, dataset.Float32, dataset.WriteOptions{}))
	raw := int64(j.tmpl.Shape.Size()) * 4
	j.perRows = max(rg, (int64(cfg.ShardMB)<<20)/raw/rg*rg) // whole row groups per shard
	if cfg.ShardRows > 0 {
		j.perRows = int64(cfg.ShardRows)
	}
	j.shards = int((m.Rows + j.perRows - 1) / j.perRows)
	return j, nil
}

// levelName names level k's dataset after the level-0 one: "emoji" ->
// "emoji-level1" -> "emoji-level2".
func levelName(source string, level int) string {
	return strings.TrimSuffix(source, fmt.Sprintf("-level%d", level-1)) + fmt.Sprintf("-level%d", level)
}

// ConfigHash covers what shapes the output bytes (not the batch size:
// inference rows are independent).
func ConfigHash(cfg Config) string {
	b, _ := json.Marshal(struct{ ShardMB, ShardRows int }{cfg.ShardMB, cfg.ShardRows})
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Run encodes part p of the dataset. With p.N == 1 it also commits the
// dataset; otherwise Finalize does, once every part has run. It returns an
// error wrapping dataset.ErrCommitted when out already holds this dataset.
func Run(ctx context.Context, cfg Config, data *dataset.Dataset, mdl *train.Model, out *storage.Bucket, p Part, opts Options) (*dataset.Manifest, error) {
	j, err := newJob(cfg, data, mdl, out, opts)
	if err != nil {
		return nil, err
	}
	if err := j.checkOutput(ctx, p); err != nil {
		return nil, err
	}
	if p.N > 1 && j.partDone(ctx, p) {
		return nil, nil
	}
	shards, err := j.encodePart(ctx, p)
	if err != nil {
		return nil, err
	}
	if p.N == 1 {
		return dataset.CommitManifest(ctx, out, j.tmpl, shards)
	}
	return nil, j.recordPart(ctx, p, shards)
}

// checkOutput applies the commit rules: same lineage is done, other lineage
// is refused unless overwriting (single-part runs only).
func (j *job) checkOutput(ctx context.Context, p Part) error {
	old, err := dataset.Open(ctx, j.out)
	switch {
	case errors.Is(err, dataset.ErrNotDataset):
		return nil // stale shards go once this run commits
	case err != nil:
		return err
	case old.Manifest.Lineage.Identity() == j.tmpl.Lineage.Identity():
		return fmt.Errorf("dataset %s: %w (run %s)", j.out.URL(), dataset.ErrCommitted, old.Manifest.Lineage.RunID)
	case !j.opts.Overwrite:
		return fmt.Errorf("dataset %s: %w (encoded by run %s from %s); pass --overwrite to replace it",
			j.out.URL(), dataset.ErrConflict, old.Manifest.Lineage.RunID, old.Manifest.Lineage.Source.URL)
	case p.N > 1:
		return fmt.Errorf("dataset %s: --overwrite works with a single part only; run it without --shard, or delete the output", j.out.URL())
	}
	if err := j.out.Delete(ctx, dataset.ManifestKey); err != nil {
		return err
	}
	return dataset.RemoveUnlisted(ctx, j.out, nil)
}

// encodePart writes output shards [lo, hi) of this part.
func (j *job) encodePart(ctx context.Context, p Part) ([]dataset.Shard, error) {
	lo, hi := p.I*j.shards/p.N, (p.I+1)*j.shards/p.N
	rowLo, rowHi := int64(lo)*j.perRows, min(int64(hi)*j.perRows, j.data.Manifest.Rows)
	w, err := dataset.CreatePart(ctx, j.out, j.tmpl, dataset.WriteOptions{RowsPerShard: j.perRows, FirstShard: lo})
	if err != nil {
		return nil, err
	}
	if rowHi <= rowLo {
		return nil, nil // more parts than shards: nothing to do here
	}
	enc, err := model.NewEncoder(j.mdl.Meta.Arch, j.mdl.Params, j.cfg.Batch)
	if err != nil {
		return nil, err
	}
	j.opts.Log.Info("encoding", "part", p.String(), "rows", fmt.Sprintf("[%d, %d)", rowLo, rowHi), "shards", fmt.Sprintf("[%d, %d)", lo, hi), "to", j.out.URL())
	if err := j.stream(ctx, enc, w, rowLo, rowHi); err != nil {
		w.Abort()
		return nil, err
	}
	return w.Finish()
}

// encItem is a batch in flight: its rows and their NCHW inputs or, once
// encoded, their HWC codes.
type encItem struct {
	b *dataset.Batch
	x []float32
}

// encodeAll runs the encoder over inputs until they end or ctx is done.
func (j *job) encodeAll(ctx context.Context, cancel context.CancelCauseFunc, enc *model.Net, inputs <-chan encItem, outputs chan<- encItem) {
	code := j.tmpl.Shape
	for it := range inputs {
		if ctx.Err() != nil {
			return
		}
		z, err := enc.Run(it.x)
		if err != nil {
			cancel(err)
			return
		}
		select {
		case outputs <- encItem{it.b, model.ToHWC(z, it.b.Len(), code[0], code[1], code[2])}:
		case <-ctx.Done():
			return
		}
	}
}

// stream encodes rows [rowLo, rowHi) as a pipeline of three goroutines:
// read and convert the next batch, encode this one, compress and write the
// previous one. Order is kept (each stage is sequential), so the output is
// the same as a serial loop's.
func (j *job) stream(ctx context.Context, enc *model.Net, w *dataset.Writer, rowLo, rowHi int64) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	inputs, outputs := make(chan encItem, 2), make(chan encItem, 2)
	m, code := j.data.Manifest, j.tmpl.Shape
	go func() {
		defer close(inputs)
		for b, err := range j.data.Scan(ctx, dataset.ScanOptions{RowLo: rowLo, RowHi: rowHi, BatchSize: j.cfg.Batch}) {
			if err != nil {
				cancel(err)
				return
			}
			x := model.ToNCHW(b.Float32(m.Scale, m.Offset), b.Len(), m.Shape[0], m.Shape[1], m.Shape[2])
			select {
			case inputs <- encItem{b, x}:
			case <-ctx.Done():
				return
			}
		}
	}()
	written := make(chan struct{})
	go func() {
		defer close(written)
		done := 0
		for it := range outputs {
			out := &dataset.Batch{Shape: code, IDs: it.b.IDs, Labels: it.b.Labels, Splits: it.b.Splits, F32: it.x}
			if err := w.Write(out); err != nil {
				cancel(err)
				return
			}
			if done += it.b.Len(); j.opts.Progress != nil {
				j.opts.Progress(done, int(rowHi-rowLo))
			}
		}
	}()
	j.encodeAll(ctx, cancel, enc, inputs, outputs)
	close(outputs)
	<-written
	for range inputs { // let the reader finish after a failure
	}
	return context.Cause(ctx)
}
