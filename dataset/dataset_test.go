package dataset_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
	"github.com/stackae/stackae/storage/s3test"
)

var ctx = context.Background()

func template(dt dataset.DType, shape dataset.Shape, config string) dataset.Manifest {
	return dataset.Manifest{
		Name: "test", Level: 0, Shape: shape, DType: dt, Scale: 1,
		Classes: []string{"a", "b", "c"},
		Lineage: dataset.Lineage{ConfigHash: config, RunID: "run-" + config, CreatedAt: time.Unix(0, 0).UTC(), StackaeVersion: "test"},
	}
}

// rows makes n deterministic rows; row i's features encode i.
func rows(dt dataset.DType, shape dataset.Shape, n int) *dataset.Batch {
	b := &dataset.Batch{Shape: shape}
	for i := range n {
		split := dataset.Train
		if i%5 == 0 {
			split = dataset.Validation
		}
		label := int32(i % 3)
		if i%7 == 0 {
			label = dataset.NoLabel
		}
		id := fmt.Sprintf("img-%06d", i)
		if dt == dataset.Uint8 {
			f := make([]uint8, shape.Size())
			for j := range f {
				f[j] = uint8(i + j)
			}
			b.Append(id, label, split, f)
		} else {
			f := make([]float32, shape.Size())
			for j := range f {
				f[j] = float32(i) + float32(j)/1000
			}
			b.Append(id, label, split, f)
		}
	}
	return b
}

func write(t *testing.T, b *storage.Bucket, tmpl dataset.Manifest, data *dataset.Batch, opts dataset.WriteOptions) *dataset.Manifest {
	t.Helper()
	w, err := dataset.Create(ctx, b, tmpl, opts)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	// Feed in uneven chunks to exercise buffering across row groups.
	for lo := 0; lo < data.Len(); lo += 37 {
		hi := min(lo+37, data.Len())
		chunk := &dataset.Batch{Shape: data.Shape}
		for i := lo; i < hi; i++ {
			chunk.Append(data.IDs[i], data.Labels[i], data.Splits[i], data.Row(i))
		}
		if err := w.Write(chunk); err != nil {
			t.Fatalf("Write: %v", err)
		}
	}
	m, err := w.Commit()
	if err != nil {
		t.Fatalf("Commit: %v", err)
	}
	return m
}

func scanAll(t *testing.T, b *storage.Bucket, opts dataset.ScanOptions) *dataset.Batch {
	t.Helper()
	d, err := dataset.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	all := &dataset.Batch{Shape: d.Manifest.Shape}
	for batch, err := range d.Scan(ctx, opts) {
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		if batch.Len() > opts.BatchSize && opts.BatchSize > 0 {
			t.Fatalf("batch of %d > BatchSize %d", batch.Len(), opts.BatchSize)
		}
		for i := range batch.Len() {
			all.Append(batch.IDs[i], batch.Labels[i], batch.Splits[i], batch.Row(i))
		}
	}
	return all
}

func equalBatches(t *testing.T, got, want *dataset.Batch) {
	t.Helper()
	if !slices.Equal(got.IDs, want.IDs) || !slices.Equal(got.Labels, want.Labels) || !slices.Equal(got.Splits, want.Splits) ||
		!slices.Equal(got.U8, want.U8) || !slices.Equal(got.F32, want.F32) {
		t.Fatalf("rows differ: got %d rows (first %v), want %d (first %v)", got.Len(), head(got.IDs), want.Len(), head(want.IDs))
	}
}

func head(s []string) []string { return s[:min(3, len(s))] }

type opener struct {
	name string
	open func(t *testing.T) *storage.Bucket
}

func openers(t *testing.T) []opener {
	return []opener{
		{"mem", func(t *testing.T) *storage.Bucket { return mustOpen(t, "mem://", storage.DefaultConfig()) }},
		{"file", func(t *testing.T) *storage.Bucket { return mustOpen(t, t.TempDir()+"/ds", storage.DefaultConfig()) }},
		{"s3", func(t *testing.T) *storage.Bucket {
			srv := s3test.Start(t, s3test.Options{})
			return mustOpen(t, srv.CreateBucket(t, "dsets")+"/datasets/x", srv.Config())
		}},
	}
}

func mustOpen(t *testing.T, url string, cfg storage.Config) *storage.Bucket {
	b, err := storage.Open(ctx, url, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		dt    dataset.DType
		shape dataset.Shape
		n     int
	}{
		{dataset.Uint8, dataset.Shape{28, 28, 1}, 1000},
		{dataset.Float32, dataset.Shape{8, 8, 32}, 700},
		{dataset.Uint8, dataset.Shape{1, 1, 1}, 1},
	}
	for _, o := range openers(t) {
		for _, tc := range cases {
			t.Run(fmt.Sprintf("%s/%s/%s", o.name, tc.dt, tc.shape), func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				b := o.open(t)
				data := rows(tc.dt, tc.shape, tc.n)
				// Small row groups and shards: several of each.
				opts := dataset.WriteOptions{RowGroupBytes: 100 * int64(tc.shape.Size()), ShardBytes: 300 * int64(tc.shape.Size()), Allocator: mem}
				m := write(t, b, template(tc.dt, tc.shape, "c1"), data, opts)
				if m.Rows != int64(tc.n) || (tc.n > 300 && len(m.Shards) < 2) {
					t.Fatalf("manifest: %d rows in %d shards", m.Rows, len(m.Shards))
				}
				equalBatches(t, scanAll(t, b, dataset.ScanOptions{BatchSize: 64, Allocator: mem}), data)
				d, _ := dataset.Open(ctx, b)
				rep, err := d.Verify(ctx, mem)
				if err != nil || rep.Rows != int64(tc.n) {
					t.Fatalf("Verify = %+v, %v", rep, err)
				}
			})
		}
	}
}

func TestSplitFilterAndParts(t *testing.T) {
	b := mustOpen(t, "mem://", storage.DefaultConfig())
	shape := dataset.Shape{4, 4, 3}
	data := rows(dataset.Uint8, shape, 1000)
	write(t, b, template(dataset.Uint8, shape, "c"), data, dataset.WriteOptions{RowGroupBytes: 48 * 30, ShardBytes: 48 * 200})
	full := scanAll(t, b, dataset.ScanOptions{})
	equalBatches(t, full, data)
	for _, n := range []int{2, 3, 7, 50} {
		joined := &dataset.Batch{Shape: shape}
		for i := range n {
			part := scanAll(t, b, dataset.ScanOptions{PartI: i, PartN: n, BatchSize: 100})
			for r := range part.Len() {
				joined.Append(part.IDs[r], part.Labels[r], part.Splits[r], part.Row(r))
			}
		}
		equalBatches(t, joined, full)
	}
	val := scanAll(t, b, dataset.ScanOptions{Split: dataset.Validation})
	if val.Len() != 200 {
		t.Fatalf("validation rows = %d; want 200", val.Len())
	}
	for _, s := range val.Splits {
		if s != dataset.Validation {
			t.Fatalf("split filter let %q through", s)
		}
	}
}

func TestShuffleDeterministicPermutation(t *testing.T) {
	b := mustOpen(t, "mem://", storage.DefaultConfig())
	shape := dataset.Shape{2, 2, 1}
	data := rows(dataset.Uint8, shape, 2000)
	write(t, b, template(dataset.Uint8, shape, "c"), data, dataset.WriteOptions{RowGroupBytes: 4 * 100})
	opts := dataset.ScanOptions{Shuffle: true, Seed: 42, ShuffleWindow: 300, BatchSize: 32}
	a, again := scanAll(t, b, opts), scanAll(t, b, opts)
	equalBatches(t, a, again)
	opts.Seed = 43
	other := scanAll(t, b, opts)
	if slices.Equal(a.IDs, other.IDs) || slices.Equal(a.IDs, data.IDs) {
		t.Fatal("shuffle did not change the order")
	}
	sorted := slices.Clone(a.IDs)
	slices.Sort(sorted)
	if !slices.Equal(sorted, data.IDs) {
		t.Fatal("shuffled scan is not a permutation of the rows")
	}
	// Row content travels with its id.
	for i, id := range a.IDs {
		var n int
		fmt.Sscanf(id, "img-%d", &n)
		if a.Row(i).([]uint8)[0] != uint8(n) {
			t.Fatalf("row %s carries the features of another row", id)
		}
	}
}

func TestCommitProtocol(t *testing.T) {
	shape := dataset.Shape{2, 2, 1}
	data := rows(dataset.Uint8, shape, 50)
	for _, o := range openers(t) {
		t.Run(o.name, func(t *testing.T) {
			b := o.open(t)
			// A job that dies before Commit leaves no dataset.
			w, err := dataset.Create(ctx, b, template(dataset.Uint8, shape, "c1"), dataset.WriteOptions{RowGroupBytes: 40})
			if err != nil {
				t.Fatal(err)
			}
			if err := w.Write(data); err != nil {
				t.Fatal(err)
			}
			w.Abort()
			if _, err := dataset.Open(ctx, b); !errors.Is(err, dataset.ErrNotDataset) {
				t.Fatalf("after abort Open = %v; want ErrNotDataset", err)
			}
			first := write(t, b, template(dataset.Uint8, shape, "c1"), data, dataset.WriteOptions{})
			if len(first.Shards) != 1 {
				t.Fatalf("leftover shards of the aborted run were kept: %+v", first.Shards)
			}
			before, _ := b.ReadAll(ctx, dataset.ManifestKey)
			if _, err := dataset.Create(ctx, b, template(dataset.Uint8, shape, "c1"), dataset.WriteOptions{}); !errors.Is(err, dataset.ErrCommitted) {
				t.Fatalf("same lineage: %v; want ErrCommitted", err)
			}
			_, err = dataset.Create(ctx, b, template(dataset.Uint8, shape, "c2"), dataset.WriteOptions{})
			if !errors.Is(err, dataset.ErrConflict) || !strings.Contains(err.Error(), "--overwrite") || !strings.Contains(err.Error(), "run-c1") {
				t.Fatalf("other lineage: %v; want ErrConflict naming run-c1 and --overwrite", err)
			}
			if after, _ := b.ReadAll(ctx, dataset.ManifestKey); string(after) != string(before) {
				t.Fatal("a refused job changed the committed manifest")
			}
			m := write(t, b, template(dataset.Uint8, shape, "c2"), rows(dataset.Uint8, shape, 10), dataset.WriteOptions{Overwrite: true})
			if m.Rows != 10 || m.Lineage.ConfigHash != "c2" {
				t.Fatalf("overwrite committed %+v", m)
			}
		})
	}
}

func TestConcurrentCommitOneWins(t *testing.T) {
	b := mustOpen(t, t.TempDir(), storage.DefaultConfig())
	shape := dataset.Shape{2, 2, 1}
	w1, err1 := dataset.Create(ctx, b, template(dataset.Uint8, shape, "c1"), dataset.WriteOptions{})
	w2, err2 := dataset.Create(ctx, b, template(dataset.Uint8, shape, "c2"), dataset.WriteOptions{})
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	w1.Write(rows(dataset.Uint8, shape, 5))
	if _, err := w1.Commit(); err != nil {
		t.Fatal(err)
	}
	w2.Write(rows(dataset.Uint8, shape, 5))
	if _, err := w2.Commit(); !errors.Is(err, dataset.ErrConflict) {
		t.Fatalf("second commit = %v; want ErrConflict", err)
	}
}

func TestVerifyDetectsDamage(t *testing.T) {
	shape := dataset.Shape{3, 3, 1}
	tests := []struct {
		name   string
		damage func(b *storage.Bucket, m *dataset.Manifest) error
		want   string
	}{
		{"replaced shard", func(b *storage.Bucket, m *dataset.Manifest) error {
			return b.WriteAll(ctx, m.Shards[0].Key, []byte("garbage"))
		}, "bytes, manifest says"},
		{"same size, other bytes", func(b *storage.Bucket, m *dataset.Manifest) error {
			data, _ := b.ReadAll(ctx, m.Shards[0].Key)
			data[len(data)/2] ^= 0xff
			return b.WriteAll(ctx, m.Shards[0].Key, data)
		}, "does not match the manifest"},
		{"missing shard", func(b *storage.Bucket, m *dataset.Manifest) error {
			return b.Delete(ctx, m.Shards[1].Key)
		}, "not found"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := mustOpen(t, "mem://", storage.DefaultConfig())
			m := write(t, b, template(dataset.Uint8, shape, "c"), rows(dataset.Uint8, shape, 100), dataset.WriteOptions{ShardBytes: 9 * 40, RowGroupBytes: 9 * 20})
			if err := tc.damage(b, m); err != nil {
				t.Fatal(err)
			}
			d, err := dataset.Open(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			_, err = d.Verify(ctx, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "part-") {
				t.Fatalf("Verify = %v; want an error naming the shard and %q", err, tc.want)
			}
		})
	}
}

func TestVerifyRejectsNaN(t *testing.T) {
	b := mustOpen(t, "mem://", storage.DefaultConfig())
	shape := dataset.Shape{1, 1, 2}
	data := rows(dataset.Float32, shape, 10)
	data.F32[7] = float32(math.NaN())
	write(t, b, template(dataset.Float32, shape, "c"), data, dataset.WriteOptions{})
	d, _ := dataset.Open(ctx, b)
	if _, err := d.Verify(ctx, nil); err == nil || !strings.Contains(err.Error(), "img-000003") {
		t.Fatalf("Verify = %v; want the NaN row named", err)
	}
}

func TestWriteRejectsBadBatches(t *testing.T) {
	b := mustOpen(t, "mem://", storage.DefaultConfig())
	shape := dataset.Shape{2, 2, 1}
	w, err := dataset.Create(ctx, b, template(dataset.Uint8, shape, "c"), dataset.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := &dataset.Batch{Shape: shape}
	bad.Append("x", 0, "test", make([]uint8, 4))
	if err := w.Write(bad); err == nil || !strings.Contains(err.Error(), `split "test"`) {
		t.Fatalf("Write(bad split) = %v", err)
	}
	f := &dataset.Batch{Shape: shape}
	f.Append("y", 0, dataset.Train, make([]float32, 4))
	if err := w.Write(f); err == nil || !strings.Contains(err.Error(), "float32") {
		t.Fatalf("Write(float32 into uint8) = %v", err)
	}
	if _, err := w.Commit(); err == nil || !strings.Contains(err.Error(), "no rows") {
		t.Fatalf("Commit(empty) = %v; want a no-rows error", err)
	}
}
