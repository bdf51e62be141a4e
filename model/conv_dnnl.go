//go:build dnnl

package model

import (
	"fmt"
	"hash"

	"github.com/chewxy/hm"
	"github.com/stackae/stackae/model/dnnl"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// FastConv reports whether convolutions run on oneDNN (build tag dnnl).
const FastConv = true

// dnnlConv convolves float32 x with w through oneDNN (padding top, left,
// bottom, right: asymmetric 'same' needs no slicing); other dtypes use
// gorgonia's Conv2d.
func (b *builder) dnnlConv(x, w *G.Node, stride int, pad [4]int) (*G.Node, bool) {
	if x.Dtype() != tensor.Float32 {
		return nil, false
	}
	y, err := G.ApplyOp(convOp{kind: convFwd, stride: stride, pad: pad, mem: b.mem}, x, w)
	return b.op(y, err), true
}

type convKind int

const (
	convFwd        convKind = iota // (x, w) -> y
	convBwdData                    // (w, dy) -> dx, needs the x shape
	convBwdWeights                 // (x, dy) -> dw, needs the w shape
)

type convOp struct {
	kind   convKind
	stride int
	pad    [4]int
	shape  [4]int // the result's shape, for the backward ops
	mem    *arena
}

func (op convOp) shapeOf(x, w tensor.Shape) dnnl.Shape {
	return dnnl.Shape{N: x[0], C: x[1], H: x[2], W: x[3], K: w[0], R: w[2], S: w[3], StrideH: op.stride, StrideW: op.stride,
		PadT: op.pad[0], PadL: op.pad[1], PadB: op.pad[2], PadR: op.pad[3]}
}

func (op convOp) Arity() int { return 2 }

func (op convOp) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t, t)
}

func (op convOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	if op.kind != convFwd {
		return tensor.Shape(op.shape[:]).Clone(), nil
	}
	x, ok1 := in[0].(tensor.Shape)
	w, ok2 := in[1].(tensor.Shape)
	if !ok1 || !ok2 || len(x) != 4 || len(w) != 4 || x[1] != w[1] {
		return nil, fmt.Errorf("conv: input %v and filter %v do not fit", in[0], in[1])
	}
	oh, ow := op.shapeOf(x, w).Out()
	return tensor.Shape{x[0], w[0], oh, ow}, nil
}

func (op convOp) Do(vals ...G.Value) (G.Value, error) { return op.do(nil, vals) }

// UsePreallocDo writes into the tape's register value when it fits.
func (op convOp) UsePreallocDo(p G.Value, vals ...G.Value) (G.Value, error) { return op.do(p, vals) }

func (op convOp) do(prealloc G.Value, vals []G.Value) (G.Value, error) {
	ts, err := denseInputs("conv", vals)
	if err != nil {
		return nil, err
	}
	a, b := ts[0], ts[1]
	outShape, err := op.InferShape(a.Shape(), b.Shape())
	if err != nil {
		return nil, err
	}
	out := op.mem.into(prealloc, tensor.Float32, outShape, ts, false)
	A, B, O := a.Data().([]float32), b.Data().([]float32), out.Data().([]float32)
	switch op.kind {
	case convFwd:
		err = dnnl.Forward(op.shapeOf(a.Shape(), b.Shape()), A, B, O)
	case convBwdData: // a = w, b = dy, out = dx
		err = dnnl.BackwardData(op.shapeOf(outShape, a.Shape()), B, A, O)
	case convBwdWeights: // a = x, b = dy, out = dw
		err = dnnl.BackwardWeights(op.shapeOf(a.Shape(), outShape), A, B, O)
	}
	return out, err
}

func (op convOp) DiffWRT(int) []bool { return []bool{op.kind == convFwd, op.kind == convFwd} }

// SymDiff gives dx = conv_backward_data(w, dy) and dw = conv_backward_weights(x, dy).
func (op convOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.kind != convFwd {
		return nil, fmt.Errorf("%s is not differentiable", op)
	}
	x, w := inputs[0], inputs[1]
	dx, err := G.ApplyOp(convOp{kind: convBwdData, stride: op.stride, pad: op.pad, shape: [4]int(x.Shape()), mem: op.mem}, w, grad)
	if err != nil {
		return nil, err
	}
	dw, err := G.ApplyOp(convOp{kind: convBwdWeights, stride: op.stride, pad: op.pad, shape: [4]int(w.Shape()), mem: op.mem}, x, grad)
	return G.Nodes{dx, dw}, err
}

func (op convOp) ReturnsPtr() bool      { return false }
func (op convOp) CallsExtern() bool     { return false } // synchronous: no batched-BLAS flush
func (op convOp) OverwritesInput() int  { return -1 }
func (op convOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op convOp) String() string {
	return fmt.Sprintf("dnnlconv%d{s%d p%v %v}", op.kind, op.stride, op.pad, op.shape)
}

func (op convOp) Hashcode() uint32 { return hashString(op.String()) }

// TuneRuntime prepares the process for the kernels: with oneDNN, it
// re-executes the program with OpenMP threads that sleep instead of
// spinning between convolutions (see dnnl.PassiveWait). Call it first in main.
func TuneRuntime() { dnnl.PassiveWait() }
