package dataset

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stackae/stackae/storage"
)

// ErrCommitted means the output is already committed with the same lineage:
// the job's work is done (exit 0, nothing written).
var ErrCommitted = errors.New("already committed with the same lineage")

// ErrConflict means the output holds a committed dataset of other lineage.
var ErrConflict = errors.New("output already holds a different committed dataset")

// WriteOptions tunes the layout of the written dataset.
type WriteOptions struct {
	// ShardBytes is the target raw feature bytes per shard (default 128 MiB).
	ShardBytes int64
	// RowGroupBytes is the target raw feature bytes per row group (default 8 MiB).
	RowGroupBytes int64
	// Overwrite replaces a committed dataset of other lineage: its manifest
	// is deleted first (the dataset disappears), then its shards.
	Overwrite bool
	// Allocator for Arrow buffers (default memory.DefaultAllocator).
	Allocator memory.Allocator
}

func (o WriteOptions) withDefaults() WriteOptions {
	if o.ShardBytes <= 0 {
		o.ShardBytes = 128 << 20
	}
	if o.RowGroupBytes <= 0 {
		o.RowGroupBytes = 8 << 20
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	return o
}

// Writer writes one dataset: shards as it goes, the manifest at Commit.
type Writer struct {
	b       *storage.Bucket
	m       Manifest
	opts    WriteOptions
	rgRows  int
	pending Batch
	shard   *shardWriter
	shards  []Shard
	ctx     context.Context
}

// Create prepares b for a new dataset described by tmpl (name, level,
// shape, dtype, scale/offset, classes, lineage; counts and shards are
// filled in). It returns ErrCommitted if b already holds a dataset with the
// same lineage identity, and ErrConflict if it holds another one and
// opts.Overwrite is false. Leftover shards of an uncommitted run are removed.
func Create(ctx context.Context, b *storage.Bucket, tmpl Manifest, opts WriteOptions) (*Writer, error) {
	opts = opts.withDefaults()
	tmpl.FormatVersion, tmpl.Layout = FormatVersion, "HWC"
	if tmpl.Scale == 0 {
		tmpl.Scale = 1
	}
	tmpl.Rows, tmpl.Splits, tmpl.Shards = 0, map[string]int64{}, nil
	if err := tmpl.Validate(); err != nil {
		return nil, fmt.Errorf("dataset %s: %w", b.URL(), err)
	}
	if err := prepareOutput(ctx, b, &tmpl, opts.Overwrite); err != nil {
		return nil, err
	}
	rowBytes := int64(tmpl.Shape.Size()) * elemSize(tmpl.DType)
	w := &Writer{b: b, m: tmpl, opts: opts, ctx: ctx, rgRows: int(max(1, min(opts.RowGroupBytes/rowBytes, 65536)))}
	w.pending.Shape = tmpl.Shape
	return w, nil
}

func elemSize(d DType) int64 {
	if d == Float32 {
		return 4
	}
	return 1
}

func prepareOutput(ctx context.Context, b *storage.Bucket, tmpl *Manifest, overwrite bool) error {
	old, err := readManifest(ctx, b)
	switch {
	case errors.Is(err, ErrNotDataset):
		return removeLeftovers(ctx, b)
	case err != nil && !overwrite:
		return err
	case err == nil && old.Lineage.Identity() == tmpl.Lineage.Identity():
		return fmt.Errorf("dataset %s: %w (run %s, %s)", b.URL(), ErrCommitted, old.Lineage.RunID, old.Lineage.CreatedAt.Format(time.RFC3339))
	case err == nil && !overwrite:
		return fmt.Errorf("dataset %s: %w (committed by run %s at %s, config hash %.12s, ours %.12s); pass --overwrite to replace it",
			b.URL(), ErrConflict, old.Lineage.RunID, old.Lineage.CreatedAt.Format(time.RFC3339), old.Lineage.ConfigHash, tmpl.Lineage.ConfigHash)
	}
	// Overwrite: uncommit first, so no reader ever sees old manifest + new shards.
	if err := b.Delete(ctx, ManifestKey); err != nil {
		return err
	}
	return removeLeftovers(ctx, b)
}

// removeLeftovers deletes shards and temp files of runs that never committed.
func removeLeftovers(ctx context.Context, b *storage.Bucket) error {
	for obj, err := range b.List(ctx, "part-") {
		if err != nil {
			return err
		}
		if strings.Contains(obj.Key, "/") {
			continue
		}
		if err := b.Delete(ctx, obj.Key); err != nil {
			return err
		}
	}
	return nil
}

// Write appends rows. The batch may be reused by the caller afterwards.
func (w *Writer) Write(b *Batch) error {
	if err := b.check(&w.m); err != nil {
		return fmt.Errorf("dataset %s: %w", w.b.URL(), err)
	}
	for i := range b.Len() {
		w.pending.Append(b.IDs[i], b.Labels[i], b.Splits[i], b.Row(i))
		if w.pending.Len() == w.rgRows {
			if err := w.flushRowGroup(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (w *Writer) flushRowGroup() error {
	if w.pending.Len() == 0 {
		return nil
	}
	if w.shard == nil {
		key := fmt.Sprintf("part-%05d.parquet", len(w.shards))
		sw, err := newShardWriter(w.ctx, w.b, key, &w.m, w.opts.Allocator)
		if err != nil {
			return err
		}
		w.shard = sw
	}
	if err := w.shard.writeRowGroup(&w.pending); err != nil {
		return fmt.Errorf("write %s: %w", w.b.KeyURL(w.shard.key), err)
	}
	w.pending.Reset()
	if w.shard.rows*int64(w.m.Shape.Size())*elemSize(w.m.DType) >= w.opts.ShardBytes {
		return w.closeShard()
	}
	return nil
}

func (w *Writer) closeShard() error {
	if w.shard == nil {
		return nil
	}
	s, err := w.shard.close()
	w.shard = nil
	if err != nil {
		return fmt.Errorf("commit %s: %w", w.b.KeyURL(s.Key), err)
	}
	w.shards = append(w.shards, s)
	return nil
}

// Commit writes the remaining rows and then the manifest (only if absent).
// After Commit the dataset exists; before it, it does not.
func (w *Writer) Commit() (*Manifest, error) {
	if err := w.flushRowGroup(); err != nil {
		return nil, err
	}
	if err := w.closeShard(); err != nil {
		return nil, err
	}
	m := w.m
	m.Shards = w.shards
	for _, s := range w.shards {
		m.Rows += s.Rows
		for k, v := range s.Splits {
			m.Splits[k] += v
		}
	}
	if m.Rows == 0 {
		return nil, fmt.Errorf("dataset %s: no rows to commit", w.b.URL())
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("dataset %s: %w", w.b.URL(), err)
	}
	data, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	if err := w.b.WriteIfAbsent(w.ctx, ManifestKey, data); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return nil, fmt.Errorf("dataset %s: committed by another run while this one was writing: %w", w.b.URL(), ErrConflict)
		}
		return nil, err
	}
	return &m, nil
}

// Abort discards the shard in progress. Committed shards of this run stay
// as leftovers (no manifest references them) until the next Create.
func (w *Writer) Abort() {
	if w.shard != nil {
		w.shard.abort()
		w.shard = nil
	}
}
