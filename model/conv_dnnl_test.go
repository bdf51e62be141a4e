//go:build dnnl

package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// convGraph returns y, dx and dw of sum(conv(x, w) * r) computed by the
// oneDNN op (fast) or by gorgonia's Conv2d.
func convGraph(t *testing.T, fast bool, x, w, r *tensor.Dense, k, stride int) (y, dx, dw []float32) {
	t.Helper()
	b := newBuilder(NewParams(tensor.Float32, 1), true)
	xn := G.NodeFromAny(b.g, x.Clone().(*tensor.Dense), G.WithName("x"))
	wn := G.NodeFromAny(b.g, w.Clone().(*tensor.Dense), G.WithName("w"))
	lo, hi := (k-1)/2, k/2
	if stride == 2 {
		lo, hi = (k-2)/2, (k-2)/2
	}
	var yn *G.Node
	if fast {
		yn, _ = b.dnnlConv(xn, wn, stride, [4]int{lo, lo, hi, hi})
	} else {
		yn = b.gorgoniaConv(xn, wn, k, stride, lo, hi)
	}
	loss := b.op(G.Sum(b.op(G.HadamardProd(yn, G.NodeFromAny(b.g, r)))))
	if b.err != nil {
		t.Fatal(b.err)
	}
	grads, err := G.Grad(loss, xn, wn)
	if err != nil {
		t.Fatal(err)
	}
	var yv, dxv, dwv G.Value
	G.Read(yn, &yv)
	G.Read(grads[0], &dxv)
	G.Read(grads[1], &dwv)
	vm := G.NewTapeMachine(b.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	return yv.Data().([]float32), dxv.Data().([]float32), dwv.Data().([]float32)
}

func randTensor(rng *rand.Rand, shape ...int) *tensor.Dense {
	d := make([]float32, tensor.Shape(shape).TotalSize())
	for i := range d {
		d[i] = float32(rng.NormFloat64())
	}
	return tensor.New(tensor.WithShape(shape...), tensor.WithBacking(d))
}

// The oneDNN op matches gorgonia's Conv2d, outputs and gradients, on random shapes.
func TestFastConvMatchesGorgonia(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for i := range 8 {
		n, c, kout := 1+rng.IntN(3), 1+rng.IntN(9), 1+rng.IntN(9)
		k := []int{2, 3, 4}[rng.IntN(3)]
		stride := 1 + rng.IntN(2)
		if stride == 2 {
			k = 4
		}
		h := 2 * (2 + rng.IntN(6))
		t.Run(fmt.Sprintf("%d:n%d c%d k%d %dx%d s%d h%d", i, n, c, kout, k, k, stride, h), func(t *testing.T) {
			x, w := randTensor(rng, n, c, h, h), randTensor(rng, kout, c, k, k)
			oh := h
			if stride == 2 {
				oh = h / 2
			}
			r := randTensor(rng, n, kout, oh, oh)
			fy, fdx, fdw := convGraph(t, true, x, w, r, k, stride)
			gy, gdx, gdw := convGraph(t, false, x, w, r, k, stride)
			for name, pair := range map[string][2][]float32{"y": {fy, gy}, "dx": {fdx, gdx}, "dw": {fdw, gdw}} {
				if len(pair[0]) != len(pair[1]) {
					t.Fatalf("%s: %d vs %d values", name, len(pair[0]), len(pair[1]))
				}
				for j := range pair[0] {
					a, b := float64(pair[0][j]), float64(pair[1][j])
					if math.Abs(a-b) > 1e-4*(1+math.Abs(b)) {
						t.Fatalf("%s[%d]: oneDNN %v, gorgonia %v", name, j, a, b)
					}
				}
			}
		})
	}
}
