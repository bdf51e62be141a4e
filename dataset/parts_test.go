package dataset_test

import (
	"bytes"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

func TestScanRowRange(t *testing.T) {
	b := mustOpen(t, "mem://", storage.DefaultConfig())
	shape := dataset.Shape{2, 2, 1}
	data := rows(dataset.Uint8, shape, 500)
	write(t, b, template(dataset.Uint8, shape, "c"), data, dataset.WriteOptions{RowGroupBytes: 4 * 30, ShardBytes: 4 * 100})
	for _, r := range [][2]int64{{0, 500}, {0, 1}, {37, 263}, {100, 200}, {499, 500}, {250, 250}} {
		got := scanAll(t, b, dataset.ScanOptions{RowLo: r[0], RowHi: r[1], BatchSize: 64})
		if r[0] == r[1] {
			if got.Len() != 0 {
				t.Fatalf("empty range gave %d rows", got.Len())
			}
			continue
		}
		want := &dataset.Batch{Shape: shape}
		for i := r[0]; i < r[1]; i++ {
			want.Append(data.IDs[i], data.Labels[i], data.Splits[i], data.Row(int(i)))
		}
		equalBatches(t, got, want)
	}
}

// Three workers writing disjoint shard ranges produce the same shard bytes
// as one writer, and CommitManifest commits them as one dataset.
func TestPartsMatchSingleWriter(t *testing.T) {
	shape := dataset.Shape{4, 4, 2}
	data := rows(dataset.Float32, shape, 1000)
	const perShard = 150
	opts := dataset.WriteOptions{RowsPerShard: perShard, RowGroupBytes: 32 * 4 * 64}
	one := mustOpen(t, "mem://", storage.DefaultConfig())
	m1 := write(t, one, template(dataset.Float32, shape, "p"), data, opts)
	if len(m1.Shards) != 7 || m1.Shards[6].Rows != 100 {
		t.Fatalf("single writer: %d shards", len(m1.Shards))
	}
	many := mustOpen(t, "mem://", storage.DefaultConfig())
	var all []dataset.Shard
	bounds := []int{0, 2, 5, 7} // shards per worker: 2, 3, 2
	for w := range 3 {
		o := opts
		o.FirstShard = bounds[w]
		pw, err := dataset.CreatePart(ctx, many, template(dataset.Float32, shape, "p"), o)
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := bounds[w]*perShard, min(bounds[w+1]*perShard, 1000)
		chunk := &dataset.Batch{Shape: shape}
		for i := lo; i < hi; i++ {
			chunk.Append(data.IDs[i], data.Labels[i], data.Splits[i], data.Row(i))
		}
		if err := pw.Write(chunk); err != nil {
			t.Fatal(err)
		}
		shards, err := pw.Finish()
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, shards...)
	}
	if _, err := dataset.CommitManifest(ctx, many, template(dataset.Float32, shape, "p"), all); err != nil {
		t.Fatal(err)
	}
	for i, s := range m1.Shards {
		a, _ := one.ReadAll(ctx, s.Key)
		b, _ := many.ReadAll(ctx, all[i].Key)
		if s.Key != all[i].Key || !bytes.Equal(a, b) || s.SHA256 != all[i].SHA256 {
			t.Fatalf("shard %d (%s vs %s) differs between one writer and three", i, s.Key, all[i].Key)
		}
	}
	equalBatches(t, scanAll(t, many, dataset.ScanOptions{}), data)
}

// Batches of an in-order scan are views of a row group; appending to one
// must not change the rows of the next.
func TestScanBatchesDoNotAlias(t *testing.T) {
	b, _ := storage.Open(ctx, "mem://", storage.DefaultConfig())
	shape := dataset.Shape{2, 2, 1}
	write(t, b, template(dataset.Uint8, shape, "alias"), rows(dataset.Uint8, shape, 20), dataset.WriteOptions{})
	d, err := dataset.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	var batches []*dataset.Batch
	for batch, err := range d.Scan(ctx, dataset.ScanOptions{BatchSize: 4}) {
		if err != nil {
			t.Fatal(err)
		}
		batches = append(batches, batch)
	}
	next := batches[1].IDs[0]
	batches[0].Append("intruder", 0, dataset.Train, make([]uint8, shape.Size()))
	if batches[1].IDs[0] != next || batches[1].Row(0).([]uint8)[0] != 4 {
		t.Fatalf("appending to batch 0 changed batch 1: %s", batches[1].IDs[0])
	}
}
