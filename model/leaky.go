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
	mem   *arena
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

func (op leakyOp) Do(vals ...G.Value) (G.Value, error) { return op.do(nil, vals) }

// UsePreallocDo writes into the tape's register value when it fits.
func (op leakyOp) UsePreallocDo(p G.Value, vals ...G.Value) (G.Value, error) { return op.do(p, vals) }

func (op leakyOp) do(prealloc G.Value, vals []G.Value) (G.Value, error) {
	ts, err := denseInputs("leaky relu", vals)
	if err != nil {
		return nil, err
	}
	x := ts[0]
	out := op.mem.into(prealloc, x.Dtype(), x.Shape(), ts)
	var dy *tensor.Dense
	if op.grad {
		dy = ts[1]
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

// leakyRange is branch-free (the sign of an activation is a coin flip, and
// mispredicted branches cost more than the arithmetic).
func leakyRange[T float32 | float64](x, dy, out []T, slope float64) {
	s := T(slope)
	if dy == nil {
		for i, v := range x {
			m := T(1)
			if v <= 0 {
				m = s
			}
			out[i] = v * m
		}
		return
	}
	dy = dy[:len(x)]
	for i, v := range x {
		m := T(1)
		if v <= 0 {
			m = s
		}
		out[i] = dy[i] * m
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
	dx, err := G.ApplyOp(leakyOp{slope: op.slope, grad: true, mem: op.mem}, inputs[0], grad)
	return G.Nodes{dx}, err
}

func (op leakyOp) ReturnsPtr() bool      { return false }
func (op leakyOp) CallsExtern() bool     { return false }
func (op leakyOp) OverwritesInput() int  { return -1 }
func (op leakyOp) String() string        { return fmt.Sprintf("leaky{%g %v}", op.slope, op.grad) }
func (op leakyOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op leakyOp) Hashcode() uint32 { return hashString(op.String()) }
