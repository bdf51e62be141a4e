//go:build dnnl

package main

import (
	"time"

	"github.com/stackae/stackae/model/dnnl"
)

// convPeak is the practical fp32 peak: oneDNN's forward of the reference
// level's heaviest conv (32 -> 32, 4x4, 64x64, batch 32), best of 20.
func convPeak() (result, error) {
	s := dnnl.Shape{N: 32, C: 32, H: 64, W: 64, K: 32, R: 4, S: 4, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, PadB: 2, PadR: 2}
	oh, ow := s.Out()
	x, w := randomInput(s.N*s.C*s.H*s.W), randomInput(s.K*s.C*s.R*s.S)
	y := make([]float32, s.N*s.K*oh*ow)
	best := time.Duration(1 << 62)
	for range 21 {
		t0 := time.Now()
		if err := dnnl.Forward(s, x, w, y); err != nil {
			return result{}, err
		}
		best = min(best, time.Since(t0))
	}
	flops := 2 * float64(s.N*s.K*oh*ow*s.C*s.R*s.S)
	return result{GFLOPs: flops / best.Seconds() / 1e9}, nil
}

func onednnVersion() string { return dnnl.Version() }
