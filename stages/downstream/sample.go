package downstream

import (
	"context"
	"fmt"
	"image"
	"math/rand/v2"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/preview"
	"github.com/stackae/stackae/stages/stack"
)

// SampleBatch is the batch size of sampling and of the stack that decodes
// samples (load the stack with at least this batch).
const SampleBatch = 64

// SampleGrid draws n samples of a trained VAE or BEGAN (z ~ N(0, I) from
// seed) and decodes them through s (D_k..D_1) into a PNG-ready grid of
// pixels. s may be nil when the model was trained on pixels (level 0).
func SampleGrid(c *model.Checkpoint, s *stack.Stack, n int, seed uint64) (*image.RGBA, error) {
	d := c.Meta.Downstream
	if d == nil || (d.Kind != model.KindVAE && d.Kind != model.KindBEGAN) {
		return nil, fmt.Errorf("checkpoint of kind %q does not generate (want a vae or began model)", c.Meta.Kind)
	}
	if n < 1 {
		return nil, fmt.Errorf("samples: %d (want >= 1)", n)
	}
	net, err := model.NewSampler(*d, c.Params, min(n, SampleBatch))
	if err != nil {
		return nil, err
	}
	rng := rand.New(rand.NewPCG(seed, 0x5a3b1e))
	var tiles [][]float32
	var shape dataset.Shape
	for len(tiles) < n {
		k := min(SampleBatch, n-len(tiles))
		z := make([]float32, k*d.Latent)
		for i := range z {
			z[i] = float32(rng.NormFloat64())
		}
		enc, err := net.Run(z)
		if err != nil {
			return nil, err
		}
		var px [][]float32
		if px, shape, err = toPixels(enc, k, *d, s, c.Meta.Level); err != nil {
			return nil, err
		}
		tiles = append(tiles, px...)
	}
	return preview.Tiles(tiles, shape, 0, 64), nil
}

// toPixels decodes n NCHW encodings of d's input shape to HWC pixel tiles.
func toPixels(enc []float32, n int, d model.Downstream, s *stack.Stack, level int) ([][]float32, dataset.Shape, error) {
	shape := dataset.Shape(d.InShape)
	if level > 0 {
		if s == nil || s.Depth() != level {
			return nil, shape, fmt.Errorf("the model reads level-%d encodings: decoding them needs the %d-level stack that made them", level, level)
		}
		var err error
		if enc, err = s.Decode(enc, level); err != nil {
			return nil, shape, err
		}
		shape = dataset.Shape(s.InShape())
	}
	hwc := model.ToHWC(enc, n, shape[0], shape[1], shape[2])
	tiles := make([][]float32, n)
	for i := range tiles {
		tiles[i] = hwc[i*shape.Size() : (i+1)*shape.Size()]
	}
	return tiles, shape, nil
}

// reconGrid shows up to 8 validation rows (train rows without a validation
// split) above their reconstructions, both decoded to pixels.
func (r *run) reconGrid(ctx context.Context, c *model.Checkpoint) (*image.RGBA, error) {
	m := r.data.Manifest
	split := dataset.Validation
	if m.Splits[split] == 0 {
		split = dataset.Train
	}
	var b *dataset.Batch
	for batch, err := range r.data.Scan(ctx, dataset.ScanOptions{Split: split, BatchSize: 8}) {
		if err != nil {
			return nil, err
		}
		b = batch
		break
	}
	if b == nil {
		return nil, nil
	}
	net, err := model.NewReconstructor(r.d, c.Params, b.Len())
	if err != nil {
		return nil, err
	}
	x := model.ToNCHW(b.Float32(m.Scale, m.Offset), b.Len(), m.Shape[0], m.Shape[1], m.Shape[2])
	out, err := net.Run(x)
	if err != nil {
		return nil, err
	}
	orig, shape, err := toPixels(x, b.Len(), r.d, r.opts.Stack, m.Level)
	if err != nil {
		return nil, err
	}
	rec, _, err := toPixels(out, b.Len(), r.d, r.opts.Stack, m.Level)
	if err != nil {
		return nil, err
	}
	return preview.Tiles(append(orig, rec...), shape, b.Len(), 64), nil
}
