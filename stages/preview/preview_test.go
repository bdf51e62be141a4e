package preview

import (
	"context"
	"strings"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

func makeDataset(t *testing.T, level, n int, shape dataset.Shape) *dataset.Dataset {
	t.Helper()
	ctx := context.Background()
	b, _ := storage.Open(ctx, "mem://", storage.DefaultConfig())
	w, err := dataset.Create(ctx, b, dataset.Manifest{Name: "p", Level: level, Shape: shape, DType: dataset.Uint8,
		Scale: 2.0 / 255, Offset: -1, Lineage: dataset.Lineage{ConfigHash: "x"}}, dataset.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	batch := &dataset.Batch{Shape: shape}
	for i := range n {
		px := make([]uint8, shape.Size())
		for j := range px {
			px[j] = uint8(i * 20)
		}
		batch.Append(string(rune('a'+i)), 0, dataset.Train, px)
	}
	if err := w.Write(batch); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	d, err := dataset.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestGrid(t *testing.T) {
	d := makeDataset(t, 0, 10, dataset.Shape{4, 4, 1})
	img, err := Grid(context.Background(), d, Options{N: 5, MinTile: 8})
	if err != nil {
		t.Fatal(err)
	}
	// 5 tiles -> 3 columns x 2 rows of 8px tiles (zoom 2) with 2px gutters.
	if w, h := img.Bounds().Dx(), img.Bounds().Dy(); w != 3*10+2 || h != 2*10+2 {
		t.Fatalf("grid %dx%d", w, h)
	}
	// Tile 4 (row 1, col 1) holds image 4: stored 80 -> value 80*2/255-1 -> byte 80.
	if c := img.RGBAAt(2+10+3, 2+10+3); c.R != 80 || c.G != 80 || c.A != 255 {
		t.Fatalf("tile 4 pixel %v; want 80", c)
	}
	if c := img.RGBAAt(0, 0); c.R != 128 {
		t.Fatalf("gutter %v", c)
	}
}

func TestGridRefusesEncodings(t *testing.T) {
	d := makeDataset(t, 1, 2, dataset.Shape{2, 2, 8})
	if _, err := Grid(context.Background(), d, Options{}); err == nil || !strings.Contains(err.Error(), "level-1") {
		t.Fatalf("Grid(level 1) = %v", err)
	}
}
