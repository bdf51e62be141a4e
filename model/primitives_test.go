package model

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestPrimitiveGradients checks the gorgonia primitives batch norm is built
// from. (InverseSqrt is absent on purpose: its gradient is wrong in v0.9.18.)
func TestPrimitiveGradients(t *testing.T) {
	pat := []byte{0, 2, 3}
	tests := map[string]func(b *builder, x *G.Node) *G.Node{
		"mean023": func(b *builder, x *G.Node) *G.Node { return b.op(G.Mean(x, 0, 2, 3)) },
		"bsub x-mean": func(b *builder, x *G.Node) *G.Node {
			return b.op(G.BroadcastSub(x, b.op(G.Mean(x, 0, 2, 3)), nil, pat))
		},
		"bsub x-v": func(b *builder, x *G.Node) *G.Node {
			return b.op(G.BroadcastSub(x, b.param("v", tensor.Shape{3}, initNormal, true), nil, pat))
		},
		"bmul x*v": func(b *builder, x *G.Node) *G.Node {
			return b.op(G.BroadcastHadamardProd(x, b.param("v", tensor.Shape{3}, initNormal, true), nil, pat))
		},
		"badd x+v": func(b *builder, x *G.Node) *G.Node {
			return b.op(G.BroadcastAdd(x, b.param("v", tensor.Shape{3}, initNormal, true), nil, pat))
		},
		"inverse of sqrt": func(b *builder, x *G.Node) *G.Node {
			return b.op(G.Inverse(b.op(G.Sqrt(b.op(G.Add(b.op(G.Square(x)), b.scalar(1)))))))
		},
		"div by sqrt": func(b *builder, x *G.Node) *G.Node {
			return b.op(G.HadamardDiv(x, b.op(G.Sqrt(b.op(G.Add(b.op(G.Square(x)), b.scalar(1)))))))
		},
	}
	for name, f := range tests {
		t.Run(name, func(t *testing.T) { gradCheck(t, tensor.Shape{4, 3, 3, 3}, f) })
	}
}
