package model

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// xentOp is the mean softmax cross-entropy of logits (B, K) against one-hot
// targets (B, K), computed stably (log-sum-exp after subtracting the row
// maximum); grad is its gradient op, (logits, targets, dloss) ->
// dlogits = dloss * (softmax(logits) - targets) / B.
type xentOp struct{ grad bool }

func (op xentOp) Arity() int {
	if op.grad {
		return 3
	}
	return 2
}

func (op xentOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t2 := G.TensorType{Dims: 2, Of: a}
	if op.grad {
		return hm.NewFnType(t2, t2, a, t2)
	}
	return hm.NewFnType(t2, t2, a)
}

func (op xentOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 2 {
		return nil, fmt.Errorf("cross-entropy: want (batch, classes) logits, got %v", in[0])
	}
	if op.grad {
		return s.Clone(), nil
	}
	return tensor.ScalarShape(), nil
}

func (op xentOp) Do(vals ...G.Value) (G.Value, error) {
	ts, err := denseInputs("cross-entropy", vals[:2])
	if err != nil {
		return nil, err
	}
	logits, target := ts[0], ts[1]
	if !logits.Shape().Eq(target.Shape()) {
		return nil, fmt.Errorf("cross-entropy: logits %v, targets %v", logits.Shape(), target.Shape())
	}
	s := logits.Shape()
	lg, tg := float64s(logits), float64s(target)
	var dy float64
	var out []float64
	if op.grad {
		dy = scalarOf(vals[2]) / float64(s[0])
		out = make([]float64, len(lg))
	}
	var loss float64
	for r := range s[0] {
		row, t := lg[r*s[1]:(r+1)*s[1]], tg[r*s[1]:(r+1)*s[1]]
		lse := logSumExp(row)
		for k, v := range row {
			if op.grad {
				out[r*s[1]+k] = dy * (math.Exp(v-lse) - t[k])
			} else {
				loss -= t[k] * (v - lse)
			}
		}
	}
	if op.grad {
		return denseLike(logits, out), nil
	}
	if logits.Dtype() == tensor.Float64 {
		return G.NewF64(loss / float64(s[0])), nil
	}
	return G.NewF32(float32(loss / float64(s[0]))), nil
}

func logSumExp(row []float64) float64 {
	m := math.Inf(-1)
	for _, v := range row {
		m = max(m, v)
	}
	var sum float64
	for _, v := range row {
		sum += math.Exp(v - m)
	}
	return m + math.Log(sum)
}

func float64s(t *tensor.Dense) []float64 {
	switch d := t.Data().(type) {
	case []float64:
		return d
	case []float32:
		out := make([]float64, len(d))
		for i, v := range d {
			out[i] = float64(v)
		}
		return out
	}
	return nil
}

// denseLike is vals as a tensor of like's dtype and shape.
func denseLike(like *tensor.Dense, vals []float64) *tensor.Dense {
	if like.Dtype() == tensor.Float64 {
		return tensor.New(tensor.WithShape(like.Shape().Clone()...), tensor.WithBacking(vals))
	}
	f := make([]float32, len(vals))
	for i, v := range vals {
		f[i] = float32(v)
	}
	return tensor.New(tensor.WithShape(like.Shape().Clone()...), tensor.WithBacking(f))
}

func (op xentOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	out[0] = !op.grad
	return out
}

// SymDiff gives the logits' gradient (targets are data).
func (op xentOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.grad {
		return nil, fmt.Errorf("%s is not differentiable", op)
	}
	dx, err := G.ApplyOp(xentOp{grad: true}, inputs[0], inputs[1], grad)
	return G.Nodes{dx, nil}, err
}

func (op xentOp) ReturnsPtr() bool      { return false }
func (op xentOp) CallsExtern() bool     { return false }
func (op xentOp) OverwritesInput() int  { return -1 }
func (op xentOp) String() string        { return fmt.Sprintf("xent{%v}", op.grad) }
func (op xentOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }
func (op xentOp) Hashcode() uint32      { return hashString(op.String()) }
