package model

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// leakyOp is LeakyReLU in one pass (grad: the gradient op, (x, dy) -> dx).
// gorgonia's LeakyRelu builds it from comparison masks and products, each
// a full copy of the tensor.
type leakyOp struct {
	slope float64
	grad  bool
}

func (op leakyOp) Arity() int {
	if op.grad {
		return 2
	}
	return 1
}

func (op leakyOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	if op.grad {
		return hm.NewFnType(a, a, a)
	}
	return hm.NewFnType(a, a)
}

func (op leakyOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok {
		return nil, fmt.Errorf("leaky relu: input shape %v", in[0])
	}
	return s.Clone(), nil
}

func (op leakyOp) Do(vals ...G.Value) (G.Value, error) {
	x, ok := vals[0].(*tensor.Dense)
	if !ok {
		return nil, fmt.Errorf("leaky relu: input %T", vals[0])
	}
	out := tensor.New(tensor.Of(x.Dtype()), tensor.WithShape(x.Shape().Clone()...))
	var dy *tensor.Dense
	if op.grad {
		if dy, ok = vals[1].(*tensor.Dense); !ok {
			return nil, fmt.Errorf("leaky relu grad: input %T", vals[1])
		}
	}
	switch d := x.Data().(type) {
	case []float32:
		leaky(d, gradOf[float32](dy), out.Data().([]float32), op.slope)
	case []float64:
		leaky(d, gradOf[float64](dy), out.Data().([]float64), op.slope)
	default:
		return nil, fmt.Errorf("leaky relu: dtype %v", x.Dtype())
	}
	return out, nil
}

func gradOf[T float32 | float64](dy *tensor.Dense) []T {
	if dy == nil {
		return nil
	}
	return dy.Data().([]T)
}

// leaky writes x's activation to out, or, with dy, the input gradient.
func leaky[T float32 | float64](x, dy, out []T, slope float64) {
	parallel(len(x), 1<<16, func(lo, hi int) {
		var d []T
		if dy != nil {
			d = dy[lo:hi]
		}
		leakyRange(x[lo:hi], d, out[lo:hi], slope)
	})
}

func leakyRange[T float32 | float64](x, dy, out []T, slope float64) {
	s := T(slope)
	if dy == nil {
		for i, v := range x {
			if v > 0 {
				out[i] = v
			} else {
				out[i] = s * v
			}
		}
		return
	}
	for i, v := range x {
		if v > 0 {
			out[i] = dy[i]
		} else {
			out[i] = s * dy[i]
		}
	}
}

func (op leakyOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	out[0] = !op.grad
	return out
}

// SymDiff: dx = dy where x > 0, slope*dy elsewhere.
func (op leakyOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, fmt.Errorf("%s is not differentiable", op)
	}
	dx, err := G.ApplyOp(leakyOp{slope: op.slope, grad: true}, inputs[0], grad)
	return G.Nodes{dx}, err
}

func (op leakyOp) ReturnsPtr() bool      { return false }
func (op leakyOp) CallsExtern() bool     { return false }
func (op leakyOp) OverwritesInput() int  { return -1 }
func (op leakyOp) String() string        { return fmt.Sprintf("leaky{%g %v}", op.slope, op.grad) }
func (op leakyOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op leakyOp) Hashcode() uint32 { return hashString(op.String()) }
