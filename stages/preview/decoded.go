package preview

import (
	"context"
	"fmt"
	"image"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/stack"
)

// Decoded renders the first N rows of a level-k dataset decoded through
// D_k..D_1 of s into pixels.
func Decoded(ctx context.Context, d *dataset.Dataset, s *stack.Stack, opts Options) (*image.RGBA, error) {
	m := d.Manifest
	if m.Level != s.Depth() || [3]int(m.Shape) != s.Levels[m.Level-1].Meta.Arch.CodeShape() {
		return nil, fmt.Errorf("preview %s: a level-%d %s dataset cannot be decoded by this %d-level stack", d.URL(), m.Level, m.Shape, s.Depth())
	}
	if opts.N <= 0 {
		opts.N = 64
	}
	px := dataset.Shape(s.InShape())
	var tiles [][]float32
	for b, err := range d.Scan(ctx, dataset.ScanOptions{BatchSize: 64}) {
		if err != nil {
			return nil, err
		}
		n := min(b.Len(), opts.N-len(tiles))
		z := model.ToNCHW(b.Float32(m.Scale, m.Offset)[:n*m.Shape.Size()], n, m.Shape[0], m.Shape[1], m.Shape[2])
		x, err := s.Decode(z, m.Level)
		if err != nil {
			return nil, err
		}
		hwc := model.ToHWC(x, n, px[0], px[1], px[2])
		for i := range n {
			tiles = append(tiles, hwc[i*px.Size():(i+1)*px.Size()])
		}
		if len(tiles) >= opts.N {
			break
		}
	}
	return Tiles(tiles, px, 0, 64), nil
}
