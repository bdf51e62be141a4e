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
	// RowsPerShard, when > 0, cuts shards by row count instead of bytes, so
	// that shard boundaries (and bytes) do not depend on who writes them.
	RowsPerShard int64
	// FirstShard numbers the first shard written (part-<FirstShard>).
	FirstShard int
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

// ShardKey names shard i of the run runID: part-<run>-<i>.parquet (or
// part-<i>.parquet without a run id). Runs never write each other's
// shards, so two runs racing on one output cannot mix their data: the one
// whose manifest lands first owns the dataset.
func ShardKey(runID string, i int) string {
	if runID == "" {
		return fmt.Sprintf("part-%05d.parquet", i)
	}
	return fmt.Sprintf("part-%s-%05d.parquet", runID, i)
}

// Create prepares b for a new dataset described by tmpl (name, level,
// shape, dtype, scale/offset, classes, lineage; counts and shards are
// filled in). It returns ErrCommitted if b already holds a dataset with the
// same lineage identity, and ErrConflict if it holds another one and
// opts.Overwrite is false. Shards of runs that never committed are removed
// once this one commits (another run may still be writing now).
func Create(ctx context.Context, b *storage.Bucket, tmpl Manifest, opts WriteOptions) (*Writer, error) {
	if err := normalize(b, &tmpl); err != nil {
		return nil, err
	}
	if err := prepareOutput(ctx, b, &tmpl, opts.Overwrite); err != nil {
		return nil, err
	}
	return newWriter(ctx, b, tmpl, opts), nil
}

// CreatePart starts one worker's share of a dataset written by several:
// shards only, numbered from opts.FirstShard, cut every opts.RowsPerShard
// rows; no check of, or cleanup at, the output. Finish returns its shards;
// CommitManifest later commits them all.
func CreatePart(ctx context.Context, b *storage.Bucket, tmpl Manifest, opts WriteOptions) (*Writer, error) {
	if opts.RowsPerShard <= 0 {
		return nil, fmt.Errorf("dataset %s: a part needs RowsPerShard", b.URL())
	}
	if err := normalize(b, &tmpl); err != nil {
		return nil, err
	}
	return newWriter(ctx, b, tmpl, opts), nil
}

// RowGroupRows is the number of rows per row group the writer uses for a
// row of shape and dtype (the row group target over the row's raw size).
func RowGroupRows(shape Shape, dt DType, opts WriteOptions) int {
	opts = opts.withDefaults()
	rowBytes := int64(shape.Size()) * elemSize(dt)
	return int(max(1, min(opts.RowGroupBytes/rowBytes, 65536)))
}

func normalize(b *storage.Bucket, tmpl *Manifest) error {
	tmpl.FormatVersion, tmpl.Layout = FormatVersion, "HWC"
	if tmpl.Scale == 0 {
		tmpl.Scale = 1
	}
	tmpl.Rows, tmpl.Splits, tmpl.Shards = 0, map[string]int64{}, nil
	if err := tmpl.Validate(); err != nil {
		return fmt.Errorf("dataset %s: %w", b.URL(), err)
	}
	return nil
}

func newWriter(ctx context.Context, b *storage.Bucket, tmpl Manifest, opts WriteOptions) *Writer {
	opts = opts.withDefaults()
	w := &Writer{b: b, m: tmpl, opts: opts, ctx: ctx, rgRows: RowGroupRows(tmpl.Shape, tmpl.DType, opts)}
	w.pending.Shape = tmpl.Shape
	return w
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
		return nil
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
	return RemoveUnlisted(ctx, b, nil)
}

// RemoveUnlisted deletes the shards and temp files that keep does not list
// (runs that never committed; all of them when keep is nil).
func RemoveUnlisted(ctx context.Context, b *storage.Bucket, keep []Shard) error {
	want := map[string]bool{}
	for _, s := range keep {
		want[s.Key] = true
	}
	var stale []string
	for obj, err := range b.List(ctx, "part-") {
		if err != nil {
			return err
		}
		if !strings.Contains(obj.Key, "/") && !want[obj.Key] {
			stale = append(stale, obj.Key)
		}
	}
	for _, k := range stale {
		if err := b.Delete(ctx, k); err != nil {
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
		if w.pending.Len() == w.rgRows || w.shardFull() {
			if err := w.flushRowGroup(); err != nil {
				return err
			}
		}
	}
	return nil
}

// shardFull: with RowsPerShard, the pending rows complete the shard.
func (w *Writer) shardFull() bool {
	if w.opts.RowsPerShard <= 0 {
		return false
	}
	var have int64
	if w.shard != nil {
		have = w.shard.rows
	}
	return have+int64(w.pending.Len()) >= w.opts.RowsPerShard
}

func (w *Writer) flushRowGroup() error {
	if w.pending.Len() == 0 {
		return nil
	}
	if w.shard == nil {
		key := ShardKey(w.m.Lineage.RunID, w.opts.FirstShard+len(w.shards))
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
	full := w.shard.rows*int64(w.m.Shape.Size())*elemSize(w.m.DType) >= w.opts.ShardBytes
	if w.opts.RowsPerShard > 0 {
		full = w.shard.rows >= w.opts.RowsPerShard
	}
	if full {
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

// Finish writes the remaining rows and returns the shards written. On an
// error the shard in progress is aborted (no object is left open).
func (w *Writer) Finish() ([]Shard, error) {
	if err := w.flushRowGroup(); err != nil {
		w.Abort()
		return nil, err
	}
	if err := w.closeShard(); err != nil {
		w.Abort()
		return nil, err
	}
	return w.shards, nil
}

// Commit writes the remaining rows and then the manifest (only if absent).
// After Commit the dataset exists; before it, it does not.
func (w *Writer) Commit() (*Manifest, error) {
	shards, err := w.Finish()
	if err != nil {
		return nil, err
	}
	return CommitManifest(w.ctx, w.b, w.m, shards)
}

// CommitManifest fills tmpl's counts from shards (in the given order) and
// writes the manifest only if absent: the dataset's commit. When another
// run committed first it returns ErrCommitted (same lineage: nothing lost)
// or ErrConflict, naming that run. After a commit, shards the manifest does
// not list (runs that failed or lost) are deleted.
func CommitManifest(ctx context.Context, b *storage.Bucket, tmpl Manifest, shards []Shard) (*Manifest, error) {
	m := tmpl
	if err := normalize(b, &m); err != nil {
		return nil, err
	}
	m.Shards = shards
	for _, s := range shards {
		m.Rows += s.Rows
		for k, v := range s.Splits {
			m.Splits[k] += v
		}
	}
	if m.Rows == 0 {
		return nil, fmt.Errorf("dataset %s: no rows to commit", b.URL())
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("dataset %s: %w", b.URL(), err)
	}
	data, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	if err := b.WriteIfAbsent(ctx, ManifestKey, data); err != nil {
		if errors.Is(err, storage.ErrExists) {
			return nil, lostRace(ctx, b, &m)
		}
		return nil, err
	}
	if err := RemoveUnlisted(ctx, b, m.Shards); err != nil {
		return nil, fmt.Errorf("dataset %s: committed; removing stale shards: %w", b.URL(), err)
	}
	return &m, nil
}

// lostRace explains a commit that found another run's manifest in place.
func lostRace(ctx context.Context, b *storage.Bucket, ours *Manifest) error {
	won, err := readManifest(ctx, b)
	if err != nil {
		return fmt.Errorf("dataset %s: committed by another run while this one was writing: %w", b.URL(), ErrConflict)
	}
	if won.Lineage.Identity() == ours.Lineage.Identity() {
		return fmt.Errorf("dataset %s: %w: already committed by run %s with the same lineage (this run %s wrote the same data)", b.URL(), ErrCommitted, won.Lineage.RunID, ours.Lineage.RunID)
	}
	return fmt.Errorf("dataset %s: %w: already committed by run %s (config hash %.12s) while run %s (%.12s) was writing", b.URL(), ErrConflict,
		won.Lineage.RunID, won.Lineage.ConfigHash, ours.Lineage.RunID, ours.Lineage.ConfigHash)
}

// Abort discards the shard in progress. Committed shards of this run stay
// as leftovers (no manifest references them) until the next Create.
func (w *Writer) Abort() {
	if w.shard != nil {
		w.shard.abort()
		w.shard = nil
	}
}
