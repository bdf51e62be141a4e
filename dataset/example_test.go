package dataset_test

import (
	"context"
	"fmt"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

// A third-party Go job reads any level's dataset: open the URL, then iterate
// shuffled batches of one split, or one part of n for distributed readers.
func ExampleDataset_Scan() {
	ctx := context.Background()
	b, _ := storage.Open(ctx, "mem://", storage.DefaultConfig()) // or "./data/x", "s3://bucket/x"
	writeExample(ctx, b, 0)

	d, err := dataset.Open(ctx, b)
	if err != nil {
		fmt.Println(err)
		return
	}
	m := d.Manifest
	fmt.Printf("level %d, %s %s, classes %v\n", m.Level, m.Shape, m.DType, m.Classes)
	for batch, err := range d.Scan(ctx, dataset.ScanOptions{Split: dataset.Train, BatchSize: 4, Shuffle: true, Seed: 7}) {
		if err != nil {
			fmt.Println(err)
			return
		}
		x := batch.Float32(m.Scale, m.Offset) // batch.Len() x H x W x C values, HWC per row
		fmt.Printf("batch of %d rows, %d values, labels %v\n", batch.Len(), len(x), batch.Labels)
	}
	// Output:
	// level 1, 2x2x1 float32, classes [cat dog]
	// batch of 4 rows, 16 values, labels [0 1 1 0]
	// batch of 2 rows, 8 values, labels [0 0]
}

// writeExample commits 7 rows (row groups of rowGroupBytes raw bytes, 0:
// the default).
func writeExample(ctx context.Context, b *storage.Bucket, rowGroupBytes int64) {
	shape := dataset.Shape{2, 2, 1}
	w, _ := dataset.Create(ctx, b, dataset.Manifest{Name: "example", Level: 1, Shape: shape, DType: dataset.Float32,
		Classes: []string{"cat", "dog"}, Lineage: dataset.Lineage{ConfigHash: "example"}}, dataset.WriteOptions{RowGroupBytes: rowGroupBytes})
	batch := &dataset.Batch{Shape: shape}
	for i := range 7 {
		split := dataset.Train
		if i == 3 {
			split = dataset.Validation
		}
		batch.Append(fmt.Sprintf("row-%d", i), int32(i%2), split, []float32{float32(i), 0, 0, 1})
	}
	w.Write(batch)
	w.Commit()
}

// Distributed readers each take part i of n: disjoint, contiguous runs of
// row groups that together cover the dataset.
func ExampleScanOptions_parts() {
	ctx := context.Background()
	b, _ := storage.Open(ctx, "mem://", storage.DefaultConfig())
	writeExample(ctx, b, 32) // 2 rows of 4 float32 per row group
	d, _ := dataset.Open(ctx, b)
	for i := range 2 {
		var ids []string
		for batch, err := range d.Scan(ctx, dataset.ScanOptions{PartI: i, PartN: 2, BatchSize: 8}) {
			if err != nil {
				fmt.Println(err)
				return
			}
			ids = append(ids, batch.IDs...)
		}
		fmt.Printf("part %d of 2: %v\n", i, ids)
	}
	// Output:
	// part 0 of 2: [row-0 row-1 row-2 row-3]
	// part 1 of 2: [row-4 row-5 row-6]
}
