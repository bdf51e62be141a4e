package main

import "github.com/stackae/stackae/model"

// forwardFLOPs counts the multiply-adds (x2) of one forward pass of a level
// over a batch: convolutions and dense layers, which are nearly all of the
// work. A training step is counted as 3x forward (forward, backward data,
// backward weights), the usual convention.
func forwardFLOPs(a model.Arch, batch int) float64 {
	h, w, c := a.InShape[0], a.InShape[1], a.InShape[2]
	k2 := float64(a.Kernel * a.Kernel)
	conv := func(h, w, cin, cout int) float64 { return 2 * float64(batch*h*w*cin*cout) * k2 }
	wd, total := a.Width, 0.0
	block := func(h, w, cin int) float64 { return conv(h, w, cin, wd) + conv(h, w, wd, wd) }
	// Encoder.
	total += block(h, w, c)
	sh, sw := h, w
	for range a.Downscales() {
		sh, sw = sh/2, sw/2
		total += conv(sh, sw, wd, wd) + block(sh, sw, wd)
	}
	dense := func(in, out int) float64 { return 2 * float64(batch*in*out) }
	codeC := a.Features
	if a.Factor == 0 {
		f := a.Features
		total += dense(wd*h*w, 2*f) + dense(2*f, f) + dense(f, 2*f) + dense(2*f, wd*h*w)
		codeC = wd
	} else {
		total += conv(sh, sw, wd, a.Features)
	}
	// Decoder.
	total += block(sh, sw, codeC) + conv(sh, sw, wd, c)
	for range a.Downscales() {
		sh, sw = sh*2, sw*2
		total += block(sh, sw, wd) + conv(sh, sw, wd, c)
	}
	return total
}

// trainFLOPs is one training step's FLOPs (3x forward).
func trainFLOPs(a model.Arch, batch int) float64 { return 3 * forwardFLOPs(a, batch) }
