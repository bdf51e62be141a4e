package model

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// gradCheck builds loss = mean(f(x)^2 * r) for a fixed random r (so every
// output element matters differently) in float64, and compares each
// trainable tensor's analytic gradient with central differences.
func gradCheck(t *testing.T, shape tensor.Shape, f func(b *builder, x *G.Node) *G.Node) {
	t.Helper()
	p := NewParams(tensor.Float64, 7)
	b := newBuilder(p, true)
	x := b.param("x", shape, initNormal, true)
	for i, v := range p.Tensor("x").Data().([]float64) { // inputs of unit scale
		p.Tensor("x").Data().([]float64)[i] = v * 50
	}
	y := f(b, x)
	if b.err != nil {
		t.Fatal(b.err)
	}
	// N(0, 0.02) weights make tiny test nets nearly constant before batch
	// norm, where its variance is ~eps and central differences are poor;
	// weights of unit-ish scale test the same gradients, well conditioned.
	for _, name := range p.Names() {
		if strings.HasSuffix(name, ".w") {
			for i, v := range p.Tensor(name).Data().([]float64) {
				p.Tensor(name).Data().([]float64)[i] = v * 25
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	r := tensor.New(tensor.WithShape(y.Shape()...), tensor.WithBacking(randSlice(rng, y.Shape().TotalSize())))
	rn := G.NodeFromAny(b.g, r, G.WithName("r"))
	loss := b.op(G.Mean(b.op(G.HadamardProd(b.op(G.Square(y)), rn))))
	if b.err != nil {
		t.Fatal(b.err)
	}
	nodes := G.Nodes{}
	for _, name := range b.learn {
		nodes = append(nodes, b.nodes[name])
	}
	grads, err := G.Grad(loss, nodes...)
	if err != nil {
		t.Fatal(err)
	}
	vm := G.NewTapeMachine(b.g)
	defer vm.Close()
	run := func() float64 {
		vm.Reset()
		if err := vm.RunAll(); err != nil {
			t.Fatal(err)
		}
		return scalarOf(loss.Value())
	}
	run()
	analytic := make([][]float64, len(grads))
	for i, g := range grads {
		analytic[i] = append([]float64(nil), g.Value().Data().([]float64)...)
	}
	const eps = 1e-6
	for i, name := range b.learn {
		w := p.Tensor(name).Data().([]float64)
		for _, j := range sample(rng, len(w), 12) {
			orig := w[j]
			w[j] = orig + eps
			up := run()
			w[j] = orig - eps
			down := run()
			w[j] = orig
			num, ana := (up-down)/(2*eps), analytic[i][j]
			if rel := math.Abs(num-ana) / math.Max(1e-7, math.Abs(num)+math.Abs(ana)); rel > 1e-4 {
				t.Errorf("%s[%d]: analytic %.8g, numeric %.8g (rel %.2g)", name, j, ana, num, rel)
			}
		}
	}
}

func randSlice(rng *rand.Rand, n int) []float64 {
	s := make([]float64, n)
	for i := range s {
		s[i] = rng.Float64() + 0.5
	}
	return s
}

func sample(rng *rand.Rand, n, k int) []int {
	if n <= k {
		out := make([]int, n)
		for i := range out {
			out[i] = i
		}
		return out
	}
	out := make([]int, k)
	for i := range out {
		out[i] = rng.IntN(n)
	}
	return out
}

func TestGradients(t *testing.T) {
	tests := []struct {
		name  string
		shape tensor.Shape
		f     func(b *builder, x *G.Node) *G.Node
	}{
		{"upsample2x", tensor.Shape{2, 3, 3, 4}, func(b *builder, x *G.Node) *G.Node { return b.up2(x) }},
		{"conv 4x4 same", tensor.Shape{2, 2, 6, 6}, func(b *builder, x *G.Node) *G.Node { return b.conv("c", x, 3, 4, 1, true) }},
		{"conv 3x3 same", tensor.Shape{2, 2, 5, 5}, func(b *builder, x *G.Node) *G.Node { return b.conv("c", x, 3, 3, 1, true) }},
		{"conv 4x4 stride 2", tensor.Shape{2, 2, 8, 8}, func(b *builder, x *G.Node) *G.Node { return b.conv("c", x, 3, 4, 2, true) }},
		{"batch norm", tensor.Shape{4, 3, 3, 3}, func(b *builder, x *G.Node) *G.Node { return b.batchNorm("bn", x) }},
		{"leaky relu", tensor.Shape{2, 2, 3, 3}, func(b *builder, x *G.Node) *G.Node { return b.leaky(x) }},
		{"dense", tensor.Shape{3, 5}, func(b *builder, x *G.Node) *G.Node { return b.dense("d", x, 4) }},
		{"level factor 2", tensor.Shape{2, 2, 4, 4}, func(b *builder, x *G.Node) *G.Node {
			a := Arch{InShape: [3]int{4, 4, 2}, Factor: 2, Features: 3, Width: 2, Blocks: 1, Kernel: 4}
			return a.decode(b, a.encode(b, x))
		}},
		{"level flatten", tensor.Shape{2, 1, 2, 2}, func(b *builder, x *G.Node) *G.Node {
			a := Arch{InShape: [3]int{2, 2, 1}, Factor: 0, Features: 2, Width: 2, Blocks: 1, Kernel: 2}
			return a.decode(b, a.encode(b, x))
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { gradCheck(t, tc.shape, tc.f) })
	}
}

// The custom op computes what gorgonia's Upsample2D computes.
func TestUpsampleMatchesGorgonia(t *testing.T) {
	g := G.NewGraph()
	data := randSlice(rand.New(rand.NewPCG(3, 4)), 2*3*4*5)
	x := G.NodeFromAny(g, tensor.New(tensor.WithShape(2, 3, 4, 5), tensor.WithBacking(data)))
	ours := G.Must(Upsample2x(x))
	theirs := G.Must(G.Upsample2D(x, 2))
	vm := G.NewTapeMachine(g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	a, b := ours.Value().Data().([]float64), theirs.Value().Data().([]float64)
	if !ours.Shape().Eq(tensor.Shape{2, 3, 8, 10}) || len(a) != len(b) {
		t.Fatalf("shape %v", ours.Shape())
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("element %d: %v vs gorgonia %v", i, a[i], b[i])
		}
	}
}
