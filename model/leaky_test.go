package model

import (
	"math"
	"testing"
)

// The branch-free float32 kernel agrees with the plain definition, zero
// and the sign of zero included.
func TestLeaky32MatchesDefinition(t *testing.T) {
	x := []float32{-3, -0.5, -1e-30, float32(math.Copysign(0, -1)), 0, 1e-30, 0.5, 7, -1e20, 1e20}
	dy := make([]float32, len(x))
	for i := range dy {
		dy[i] = float32(i) - 4.5
	}
	out, grad := make([]float32, len(x)), make([]float32, len(x))
	leaky32(x, nil, out, 0.2)
	leaky32(x, dy, grad, 0.2)
	for i, v := range x {
		want, wantGrad := v, dy[i]
		if v <= 0 {
			want, wantGrad = 0.2*v, 0.2*dy[i]
		}
		if math.Abs(float64(out[i]-want)) > 1e-6*math.Abs(float64(want)) || grad[i] != wantGrad {
			t.Errorf("x=%g: leaky %g, grad %g; want %g, %g", v, out[i], grad[i], want, wantGrad)
		}
	}
}
