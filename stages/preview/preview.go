// Package preview draws the first rows of a dataset as a PNG grid.
package preview

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"

	"github.com/stackae/stackae/dataset"
)

// Options shape the grid.
type Options struct {
	// N is the number of images (default 64).
	N int
	// MinTile is the smallest tile edge in pixels; small images are scaled up
	// by an integer factor (nearest neighbour) to reach it. Default 64.
	MinTile int
}

// Grid renders the first N rows of a level-0 dataset, row-major on a
// near-square grid with a 2-pixel gray gutter.
func Grid(ctx context.Context, d *dataset.Dataset, opts Options) (*image.RGBA, error) {
	m := d.Manifest
	if m.Level != 0 {
		return nil, fmt.Errorf("preview %s: level-%d datasets hold encodings, not pixels; decoding them through the stack is not implemented yet", d.URL(), m.Level)
	}
	if m.Shape[2] != 1 && m.Shape[2] != 3 {
		return nil, fmt.Errorf("preview %s: %d channels; want 1 or 3", d.URL(), m.Shape[2])
	}
	if opts.N <= 0 {
		opts.N = 64
	}
	if opts.MinTile <= 0 {
		opts.MinTile = 64
	}
	var tiles [][]float32
	for b, err := range d.Scan(ctx, dataset.ScanOptions{BatchSize: opts.N}) {
		if err != nil {
			return nil, err
		}
		vals := b.Float32(m.Scale, m.Offset)
		for i := 0; i < b.Len() && len(tiles) < opts.N; i++ {
			tiles = append(tiles, vals[i*m.Shape.Size():(i+1)*m.Shape.Size()])
		}
		if len(tiles) >= opts.N {
			break
		}
	}
	return Tiles(tiles, m.Shape, 0, opts.MinTile), nil
}

// Tiles draws HWC images with values in [-1, 1] (1 or 3 channels) on a
// grid of cols columns (0: near-square), each scaled up by an integer
// factor to at least minTile pixels, with 2-pixel gray gutters.
func Tiles(tiles [][]float32, s dataset.Shape, cols, minTile int) *image.RGBA {
	h, w, c := s[0], s[1], s[2]
	zoom := max(1, int(math.Ceil(float64(minTile)/float64(max(h, w)))))
	if cols <= 0 {
		cols = int(math.Ceil(math.Sqrt(float64(len(tiles)))))
	}
	rows := (len(tiles) + cols - 1) / max(cols, 1)
	const gap = 2
	th, tw := h*zoom, w*zoom
	img := image.NewRGBA(image.Rect(0, 0, cols*(tw+gap)+gap, rows*(th+gap)+gap))
	for i := range img.Pix {
		img.Pix[i] = 128
	}
	for t, vals := range tiles {
		ox, oy := gap+(t%cols)*(tw+gap), gap+(t/cols)*(th+gap)
		for y := range th {
			for x := range tw {
				p := ((y/zoom)*w + x/zoom) * c
				r, g, b := vals[p], vals[p], vals[p]
				if c == 3 {
					g, b = vals[p+1], vals[p+2]
				}
				img.SetRGBA(ox+x, oy+y, color.RGBA{toByte(r), toByte(g), toByte(b), 255})
			}
		}
	}
	return img
}

// toByte maps [-1, 1] to [0, 255].
func toByte(v float32) uint8 {
	return uint8(math.Round(float64(min(max((v+1)*127.5, 0), 255))))
}
