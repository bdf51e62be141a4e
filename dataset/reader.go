package dataset

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"math/rand/v2"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stackae/stackae/storage"
)

// ErrNotDataset means there is no committed dataset (no manifest) at a URL.
var ErrNotDataset = errors.New("no committed dataset here (no " + ManifestKey + ")")

// Dataset is an opened, committed dataset.
type Dataset struct {
	Manifest *Manifest
	// ManifestSHA256 is the hash of the manifest bytes, the dataset's identity
	// for lineage.
	ManifestSHA256 string
	b              *storage.Bucket
}

// Open reads and validates the manifest at b.
func Open(ctx context.Context, b *storage.Bucket) (*Dataset, error) {
	data, err := b.ReadAll(ctx, ManifestKey)
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("dataset %s: %w", b.URL(), ErrNotDataset)
	}
	if err != nil {
		return nil, err
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.KeyURL(ManifestKey), err)
	}
	return &Dataset{Manifest: m, ManifestSHA256: hashHex(data), b: b}, nil
}

func readManifest(ctx context.Context, b *storage.Bucket) (*Manifest, error) {
	d, err := Open(ctx, b)
	if err != nil {
		return nil, err
	}
	return d.Manifest, nil
}

// URL returns the dataset's URL.
func (d *Dataset) URL() string { return d.b.URL() }

// ScanOptions selects and orders the rows of a scan.
type ScanOptions struct {
	// Split keeps only "train" or "validation" rows; "" keeps all.
	Split string
	// Part I of N (0 <= I < N) takes a contiguous range of row groups, so that
	// parts 0..N-1 in order yield exactly the rows of an unsplit scan.
	PartI, PartN int
	// BatchSize rows per batch (default 256); the last batch may be short.
	BatchSize int
	// Shuffle orders rows pseudo-randomly from Seed: row groups are permuted,
	// then rows pass through a shuffle buffer of ShuffleWindow rows.
	Shuffle       bool
	Seed          uint64
	ShuffleWindow int
	// RowLo and RowHi, when RowHi > 0, keep only rows with global index in
	// [RowLo, RowHi) (rows numbered in dataset order across shards); it
	// combines with Split but not with Part or Shuffle.
	RowLo, RowHi int64
	// Allocator for Arrow buffers (default memory.DefaultAllocator).
	Allocator memory.Allocator
}

// unit is one row group and the global index of its first row.
type unit struct {
	shard, rowGroup int
	first, rows     int64
}

// Scan yields batches; memory is bounded by a row group plus the shuffle
// window, whatever the dataset's size.
func (d *Dataset) Scan(ctx context.Context, opts ScanOptions) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		opts = scanDefaults(opts)
		readers, units, err := d.units(ctx, opts)
		defer func() {
			for _, r := range readers {
				if r != nil {
					r.close()
				}
			}
		}()
		if err != nil {
			yield(nil, err)
			return
		}
		var rng *rand.Rand
		if opts.Shuffle {
			rng = rand.New(rand.NewPCG(opts.Seed, 0x5eed))
			rng.Shuffle(len(units), func(i, j int) { units[i], units[j] = units[j], units[i] })
		}
		e := emitter{opts: opts, shape: d.Manifest.Shape, dtype: d.Manifest.DType, rng: rng, yield: yield}
		for _, u := range units {
			rg, err := readers[u.shard].readRowGroup(ctx, u.rowGroup)
			if err != nil {
				yield(nil, fmt.Errorf("%s row group %d: %w", d.b.KeyURL(readers[u.shard].key), u.rowGroup, err))
				return
			}
			if opts.RowHi > 0 {
				rg = rg.slice(max(0, opts.RowLo-u.first), min(u.rows, opts.RowHi-u.first))
			}
			if !e.add(rg) {
				return
			}
		}
		e.drain()
	}
}

func scanDefaults(o ScanOptions) ScanOptions {
	if o.PartN <= 0 {
		o.PartI, o.PartN = 0, 1
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 256
	}
	if o.ShuffleWindow <= 0 {
		o.ShuffleWindow = 8192
	}
	if o.Allocator == nil {
		o.Allocator = memory.DefaultAllocator
	}
	return o
}

// units opens every shard's footer and returns this part's row groups.
func (d *Dataset) units(ctx context.Context, opts ScanOptions) ([]*shardReader, []unit, error) {
	if opts.PartI < 0 || opts.PartI >= opts.PartN {
		return nil, nil, fmt.Errorf("part %d of %d: want 0 <= i < n", opts.PartI, opts.PartN)
	}
	if opts.Split != "" && opts.Split != Train && opts.Split != Validation {
		return nil, nil, fmt.Errorf("split %q: want train, validation or empty", opts.Split)
	}
	if opts.RowHi > 0 && (opts.PartN > 1 || opts.Shuffle || opts.RowLo < 0 || opts.RowLo > opts.RowHi) {
		return nil, nil, fmt.Errorf("rows [%d, %d): want 0 <= lo <= hi, without parts or shuffle", opts.RowLo, opts.RowHi)
	}
	var readers []*shardReader
	var all []unit
	var first int64
	for i, s := range d.Manifest.Shards {
		if opts.RowHi > 0 && (first >= opts.RowHi || first+s.Rows <= opts.RowLo) {
			first += s.Rows // no row of this shard is wanted: skip its footer
			readers = append(readers, nil)
			continue
		}
		r, err := openShard(ctx, d.b, s.Key, d.Manifest, opts.Allocator)
		if err != nil {
			return readers, nil, err
		}
		readers = append(readers, r)
		for rg := range r.numRowGroups() {
			n := r.pf.MetaData().RowGroup(rg).NumRows()
			if opts.RowHi == 0 || (first < opts.RowHi && first+n > opts.RowLo) {
				all = append(all, unit{shard: i, rowGroup: rg, first: first, rows: n})
			}
			first += n
		}
	}
	lo, hi := opts.PartI*len(all)/opts.PartN, (opts.PartI+1)*len(all)/opts.PartN
	return readers, append([]unit(nil), all[lo:hi]...), nil
}

// Schema returns the Arrow schema stored in the first shard.
func (d *Dataset) Schema(ctx context.Context) (*arrow.Schema, error) {
	if len(d.Manifest.Shards) == 0 {
		return nil, fmt.Errorf("dataset %s: no shards", d.URL())
	}
	r, err := openShard(ctx, d.b, d.Manifest.Shards[0].Key, d.Manifest, memory.DefaultAllocator)
	if err != nil {
		return nil, err
	}
	defer r.close()
	return r.fr.Schema()
}
