//go:build dnnl

package dnnl

import (
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The reference level's heaviest conv: 32 -> 32 channels, 4x4, 64x64, batch 32.
var big = Shape{N: 32, C: 32, H: 64, W: 64, K: 32, R: 4, S: 4, StrideH: 1, StrideW: 1, PadT: 1, PadL: 1, PadB: 2, PadR: 2}

func BenchmarkOneDNNConvFwdBwd(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	nx, nw, ny := big.sizes()
	x, w, dy := random(rng, nx), random(rng, nw), random(rng, ny)
	y, dx, dw := make([]float32, ny), make([]float32, nx), make([]float32, nw)
	for b.Loop() {
		if Forward(big, x, w, y) != nil || BackwardData(big, dy, w, dx) != nil || BackwardWeights(big, x, dy, dw) != nil {
			b.Fatal("conv failed")
		}
	}
}

func BenchmarkGorgoniaConvFwdBwd(b *testing.B) {
	g := G.NewGraph()
	x := G.NewTensor(g, tensor.Float32, 4, G.WithShape(32, 32, 64, 64), G.WithInit(G.GlorotN(1)))
	w := G.NewTensor(g, tensor.Float32, 4, G.WithShape(32, 32, 4, 4), G.WithInit(G.GlorotN(1)))
	y := G.Must(G.Conv2d(x, w, tensor.Shape{4, 4}, []int{2, 2}, []int{1, 1}, []int{1, 1}))
	cost := G.Must(G.Sum(y))
	if _, err := G.Grad(cost, x, w); err != nil {
		b.Fatal(err)
	}
	vm := G.NewTapeMachine(g)
	for b.Loop() {
		if err := vm.RunAll(); err != nil {
			b.Fatal(err)
		}
		vm.Reset()
	}
}
