package model

import (
	"fmt"
	"math/bits"
)

// Arch is the architecture of one stack level, the reference implementation's
// by default: blocks of two 4x4 convs + batch norm + LeakyReLU(0.2); each
// downscale a stride-2 4x4 conv with a residual conv block; each upscale
// nearest 2x + a conv block, with 4x4 "to image" outputs summed across
// scales; tanh on the encoding and on the reconstruction.
type Arch struct {
	// InShape is the input's H, W, C.
	InShape [3]int `json:"in_shape"`
	// Factor divides H and W (2, 4, 8, ...); 0 means flatten: dense heads down
	// to a 1x1xFeatures vector.
	Factor int `json:"factor"`
	// Features is the encoding's channels per pixel.
	Features int `json:"features"`
	// Width is the hidden channels of every conv.
	Width int `json:"width"`
	// Blocks is the number of conv blocks per scale.
	Blocks int `json:"blocks"`
	// Kernel is the conv kernel size (4 in the reference).
	Kernel int `json:"kernel"`
}

// DefaultArch is the reference level: factor 8, 32 features, width 32.
func DefaultArch() Arch { return Arch{Factor: 8, Features: 32, Width: 32, Blocks: 1, Kernel: 4} }

// Validate checks the architecture against its input shape, naming fields
// by their config keys.
func (a Arch) Validate() error {
	h, w, c := a.InShape[0], a.InShape[1], a.InShape[2]
	switch {
	case h < 1 || w < 1 || c < 1:
		return fmt.Errorf("input shape %v: every dimension must be >= 1", a.InShape)
	case a.Features < 1:
		return fmt.Errorf("model.features: %d (want >= 1)", a.Features)
	case a.Width < 1:
		return fmt.Errorf("model.width: %d (want >= 1)", a.Width)
	case a.Blocks < 1:
		return fmt.Errorf("model.blocks: %d (want >= 1)", a.Blocks)
	case a.Kernel < 2 || a.Kernel%2 != 0:
		return fmt.Errorf("model.kernel: %d (want an even size >= 2)", a.Kernel)
	case a.Factor < 0 || (a.Factor > 0 && bits.OnesCount(uint(a.Factor)) != 1) || a.Factor == 1:
		return fmt.Errorf("model.factor: %d (want 2, 4, 8, ... or flatten)", a.Factor)
	case a.Factor > 0 && (h%a.Factor != 0 || w%a.Factor != 0):
		return fmt.Errorf("model.factor %d does not divide the input's %dx%d: the level below's encodings must be a multiple of the factor", a.Factor, h, w)
	}
	return nil
}

// Downscales is log2(Factor), 0 for flatten.
func (a Arch) Downscales() int {
	if a.Factor == 0 {
		return 0
	}
	return bits.TrailingZeros(uint(a.Factor))
}

// CodeShape is the encoding's H, W, C.
func (a Arch) CodeShape() [3]int {
	if a.Factor == 0 {
		return [3]int{1, 1, a.Features}
	}
	return [3]int{a.InShape[0] / a.Factor, a.InShape[1] / a.Factor, a.Features}
}
