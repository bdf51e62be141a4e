// Package datasettest builds small synthetic datasets for tests.
package datasettest

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

// Blobs writes n h x w x c uint8 images of soft discs (every fourth row in
// the validation split, labels alternating 0/1) to a new mem:// dataset.
func Blobs(t testing.TB, n, h, w, c int) *dataset.Dataset {
	t.Helper()
	return write(t, n, dataset.Shape{h, w, c}, []string{"even", "odd"}, func(i int) int32 { return int32(i % 2) })
}

// Unlabelled is Blobs without classes or labels.
func Unlabelled(t testing.TB, n, h, w, c int) *dataset.Dataset {
	t.Helper()
	return write(t, n, dataset.Shape{h, w, c}, nil, func(int) int32 { return dataset.NoLabel })
}

func write(t testing.TB, n int, shape dataset.Shape, classes []string, label func(int) int32) *dataset.Dataset {
	ctx := context.Background()
	b, err := storage.Open(ctx, "mem://", storage.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	h, w, c := shape[0], shape[1], shape[2]
	wr, err := dataset.Create(ctx, b, dataset.Manifest{Name: "blobs", Shape: shape, DType: dataset.Uint8, Scale: 2.0 / 255, Offset: -1,
		Classes: classes, Lineage: dataset.Lineage{ConfigHash: fmt.Sprintf("blobs-%d-%v-%d", n, shape, len(classes))}},
		dataset.WriteOptions{RowGroupBytes: int64(shape.Size() * 8)})
	if err != nil {
		t.Fatal(err)
	}
	batch := &dataset.Batch{Shape: shape}
	for i := range n {
		px := make([]uint8, 0, shape.Size())
		cy, cx := float64(i%h), float64((i*7)%w)
		for y := range h {
			for x := range w {
				v := uint8(255 / (1 + math.Hypot(float64(y)-cy, float64(x)-cx)))
				for range c {
					px = append(px, v)
				}
			}
		}
		split := dataset.Train
		if i%4 == 3 {
			split = dataset.Validation
		}
		batch.Append(fmt.Sprintf("b%03d", i), label(i), split, px)
	}
	if err := wr.Write(batch); err != nil {
		t.Fatal(err)
	}
	if _, err := wr.Commit(); err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
