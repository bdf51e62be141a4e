package model

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// biasOp adds a per-channel bias to an NCHW tensor in one pass (grad: the
// bias gradient, dy -> sum of dy per channel). gorgonia's BroadcastAdd
// first materialises the bias repeated to the full shape, then adds.
type biasOp struct {
	grad bool
	mem  *arena
}

func (op biasOp) Arity() int {
	if op.grad {
		return 1
	}
	return 2
}

func (op biasOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4, t1 := G.TensorType{Dims: 4, Of: a}, G.TensorType{Dims: 1, Of: a}
	if op.grad {
		return hm.NewFnType(t4, t1)
	}
	return hm.NewFnType(t4, t1, t4)
}

func (op biasOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 4 {
		return nil, fmt.Errorf("bias: want an NCHW input, got %v", in[0])
	}
	if op.grad {
		return tensor.Shape{s[1]}, nil
	}
	return s.Clone(), nil
}

func (op biasOp) Do(vals ...G.Value) (G.Value, error) { return op.do(nil, vals) }

// UsePreallocDo writes into the tape's register value when it fits.
func (op biasOp) UsePreallocDo(p G.Value, vals ...G.Value) (G.Value, error) { return op.do(p, vals) }

func (op biasOp) do(prealloc G.Value, vals []G.Value) (G.Value, error) {
	ts, err := denseInputs("bias", vals)
	if err != nil {
		return nil, err
	}
	shape, err := op.InferShape(ts[0].Shape())
	if err != nil {
		return nil, err
	}
	if !op.grad && ts[1].Shape().TotalSize() != shape[1] {
		return nil, fmt.Errorf("bias of %v for %v channels", ts[1].Shape(), shape[1])
	}
	s := ts[0].Shape()
	g := bnGeom{n: s[0], c: s[1], hw: s[2] * s[3]}
	out := op.mem.into(prealloc, ts[0].Dtype(), shape, ts, true)
	switch ts[0].Dtype() {
	case tensor.Float32:
		biasRun(op.grad, g, data[float32](ts), out.Data().([]float32))
	case tensor.Float64:
		biasRun(op.grad, g, data[float64](ts), out.Data().([]float64))
	default:
		return nil, fmt.Errorf("bias: dtype %v", ts[0].Dtype())
	}
	return out, nil
}

func biasRun[T float32 | float64](grad bool, g bnGeom, in [][]T, out []T) {
	x := in[0]
	if grad {
		for ch := range g.c {
			var s float64
			g.each(ch, func(off int) {
				for _, v := range x[off : off+g.hw] {
					s += float64(v)
				}
			})
			out[ch] = T(s)
		}
		return
	}
	b := in[1]
	parallel(g.n*g.c, max(1, 16384/max(1, g.hw)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			v, o := x[p*g.hw:(p+1)*g.hw], out[p*g.hw:(p+1)*g.hw]
			bc := b[p%g.c]
			for i := range v {
				o[i] = v[i] + bc
			}
		}
	})
}

func (op biasOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = !op.grad
	}
	return out
}

// SymDiff: dx = dy, db = sum of dy per channel.
func (op biasOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, fmt.Errorf("%s is not differentiable", op)
	}
	db, err := G.ApplyOp(biasOp{grad: true, mem: op.mem}, grad)
	return G.Nodes{grad, db}, err
}

// ReturnsPtr: see leakyOp.ReturnsPtr.
func (op biasOp) ReturnsPtr() bool  { return !op.grad }
func (op biasOp) CallsExtern() bool { return false }
func (op biasOp) OverwritesInput() int {
	if op.grad {
		return -1
	}
	return 0 // the convolution's output, unless the tape still needs it
}
func (op biasOp) String() string        { return fmt.Sprintf("bias{%v}", op.grad) }
func (op biasOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op biasOp) Hashcode() uint32 { return hashString(op.String()) }
