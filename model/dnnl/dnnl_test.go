//go:build dnnl

package dnnl

import (
	"math"
	"math/rand/v2"
	"testing"
)

// naive computes the convolution and both gradients directly (float64).
func naive(s Shape, x, w, dy []float32) (y, dx, dw []float64) {
	oh, ow := s.Out()
	y = make([]float64, s.N*s.K*oh*ow)
	dx = make([]float64, len(x))
	dw = make([]float64, len(w))
	for n := range s.N {
		for k := range s.K {
			for oy := range oh {
				for ox := range ow {
					yi := ((n*s.K+k)*oh+oy)*ow + ox
					for c := range s.C {
						for r := range s.R {
							iy := oy*s.StrideH - s.PadT + r
							if iy < 0 || iy >= s.H {
								continue
							}
							for q := range s.S {
								ix := ox*s.StrideW - s.PadL + q
								if ix < 0 || ix >= s.W {
									continue
								}
								xi, wi := ((n*s.C+c)*s.H+iy)*s.W+ix, ((k*s.C+c)*s.R+r)*s.S+q
								y[yi] += float64(x[xi]) * float64(w[wi])
								dx[xi] += float64(dy[yi]) * float64(w[wi])
								dw[wi] += float64(dy[yi]) * float64(x[xi])
							}
						}
					}
				}
			}
		}
	}
	return y, dx, dw
}

func random(rng *rand.Rand, n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(rng.NormFloat64())
	}
	return s
}

func close32(t *testing.T, what string, got []float32, want []float64) {
	t.Helper()
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); d > 1e-4*(1+math.Abs(want[i])) {
			t.Fatalf("%s[%d] = %v, want %v", what, i, got[i], want[i])
		}
	}
}

func TestAgainstNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	shapes := []Shape{
		{N: 2, C: 3, H: 8, W: 8, K: 4, R: 4, S: 4, StrideH: 2, StrideW: 2, PadT: 1, PadL: 1, PadB: 1, PadR: 1},   // the downscale conv
		{N: 2, C: 5, H: 7, W: 6, K: 3, R: 4, S: 4, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, PadB: 2, PadR: 2},   // 4x4 'same', asymmetric
		{N: 3, C: 16, H: 9, W: 9, K: 32, R: 3, S: 3, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, PadB: 1, PadR: 1}, // blocked layouts
		{N: 1, C: 32, H: 16, W: 16, K: 32, R: 4, S: 4, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, PadB: 2, PadR: 2},
	}
	for _, s := range shapes {
		nx, nw, ny := s.sizes()
		x, w, dy := random(rng, nx), random(rng, nw), random(rng, ny)
		wantY, wantDX, wantDW := naive(s, x, w, dy)
		y, dx, dw := make([]float32, ny), make([]float32, nx), make([]float32, nw)
		for range 2 { // the second round uses the cached primitives
			if err := Forward(s, x, w, y); err != nil {
				t.Fatal(err)
			}
			if err := BackwardData(s, dy, w, dx); err != nil {
				t.Fatal(err)
			}
			if err := BackwardWeights(s, x, dy, dw); err != nil {
				t.Fatal(err)
			}
			close32(t, "y", y, wantY)
			close32(t, "dx", dx, wantDX)
			close32(t, "dw", dw, wantDW)
		}
	}
	if err := Forward(shapes[0], make([]float32, 3), nil, nil); err == nil {
		t.Fatal("wrong lengths accepted")
	}
}
