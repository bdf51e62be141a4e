package model

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// leakyOp is LeakyReLU in one pass (grad: the gradient op, (y, dy) -> dx,
// from its output y, which has x's sign for a positive slope). gorgonia's
// LeakyRelu builds it from comparison masks and products, each a full copy
// of the tensor. The forward overwrites x and the gradient dy when the tape
// finds them dead (OverwritesInput): x is not kept for the backward pass.
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
	out := op.mem.into(prealloc, x.Dtype(), x.Shape(), ts, true)
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

// leakyRange is branch-free: the sign of an activation is a coin flip, and
// a mispredicted branch per element made this 5 ns/element. The forward is
// (1+s)/2*v + (1-s)/2*|v|; the gradient scales dy by 1 or s from the sign.
func leakyRange[T float32 | float64](x, dy, out []T, slope float64) {
	if x32, ok := any(x).([]float32); ok {
		var dy32 []float32
		if dy != nil {
			dy32 = any(dy).([]float32)
		}
		leaky32(x32, dy32, any(out).([]float32), float32(slope))
		return
	}
	s := T(slope)
	for i, v := range x {
		m := T(1)
		if v <= 0 {
			m = s
		}
		if dy != nil {
			out[i] = dy[i] * m
		} else {
			out[i] = v * m
		}
	}
}

func leaky32(x, dy, out []float32, s float32) {
	out = out[:len(x)]
	if dy == nil {
		a, b := (1+s)/2, (1-s)/2
		for i, v := range x {
			out[i] = a*v + b*math.Float32frombits(math.Float32bits(v)&^(1<<31))
		}
		return
	}
	dy = dy[:len(x)]
	for i, v := range x {
		// neg is 1 for v <= 0 (either zero included), else 0: m is exactly s or 1.
		neg := float32((math.Float32bits(v) >> 31) | b2u(v == 0))
		out[i] = dy[i] * (neg*s + (1 - neg))
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

func (op leakyOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	out[0] = !op.grad
	return out
}

// SymDiff: dx = dy where y > 0, slope*dy elsewhere (y > 0 exactly where
// x > 0, but for positive denormals that round to a zero y).
func (op leakyOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, fmt.Errorf("%s is not differentiable", op)
	}
	dx, err := G.ApplyOp(leakyOp{slope: op.slope, grad: true, mem: op.mem}, output, grad)
	return G.Nodes{dx}, err
}

// ReturnsPtr marks the op as one that may return an input's tensor: only
// then does gorgonia's register allocator honour OverwritesInput.
func (op leakyOp) ReturnsPtr() bool  { return true }
func (op leakyOp) CallsExtern() bool { return false }
func (op leakyOp) OverwritesInput() int {
	if op.grad {
		return 1 // dy
	}
	return 0
}
func (op leakyOp) String() string        { return fmt.Sprintf("leaky{%g %v}", op.slope, op.grad) }
func (op leakyOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op leakyOp) Hashcode() uint32 { return hashString(op.String()) }
