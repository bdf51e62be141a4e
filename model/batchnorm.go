package model

import (
	"fmt"
	"hash"
	"math"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// bnStatsBuf receives a training batch's per-channel mean and (biased)
// variance each time the fused batch-norm op runs.
type bnStatsBuf struct{ mean, variance []float64 }

// bnKind selects one of the fused batch-norm ops.
type bnKind int

const (
	bnForward   bnKind = iota // (x, gamma, beta) -> y, batch statistics
	bnGradX                   // (x, gamma, dy) -> dx
	bnGradGamma               // (x, dy) -> dgamma
	bnGradBeta                // (dy) -> dbeta
)

// bnOp is training-mode batch norm over NCHW in one pass per channel,
// instead of ~10 gorgonia ops that each copy or broadcast the whole tensor.
type bnOp struct {
	kind  bnKind
	eps   float64
	stats *bnStatsBuf // bnForward only
}

func (op bnOp) Arity() int { return [...]int{3, 3, 2, 1}[op.kind] }

func (op bnOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4, t1 := G.TensorType{Dims: 4, Of: a}, G.TensorType{Dims: 1, Of: a}
	switch op.kind {
	case bnForward:
		return hm.NewFnType(t4, t1, t1, t4)
	case bnGradX:
		return hm.NewFnType(t4, t1, t4, t4)
	case bnGradGamma:
		return hm.NewFnType(t4, t4, t1)
	}
	return hm.NewFnType(t4, t1)
}

func (op bnOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 4 {
		return nil, fmt.Errorf("batch norm: want an NCHW input, got %v", in[0])
	}
	if op.kind == bnGradGamma || op.kind == bnGradBeta {
		return tensor.Shape{s[1]}, nil
	}
	return s.Clone(), nil
}

func (op bnOp) Do(vals ...G.Value) (G.Value, error) {
	ts := make([]*tensor.Dense, len(vals))
	for i, v := range vals {
		t, ok := v.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("batch norm: input %T", v)
		}
		ts[i] = t
	}
	shape, err := op.InferShape(ts[0].Shape())
	if err != nil {
		return nil, err
	}
	out := tensor.New(tensor.Of(ts[0].Dtype()), tensor.WithShape(shape...))
	s := ts[0].Shape()
	g := bnGeom{n: s[0], c: s[1], hw: s[2] * s[3]}
	switch ts[0].Dtype() {
	case tensor.Float32:
		return out, bnRun(op, g, data[float32](ts), out.Data().([]float32))
	case tensor.Float64:
		return out, bnRun(op, g, data[float64](ts), out.Data().([]float64))
	}
	return nil, fmt.Errorf("batch norm: dtype %v", ts[0].Dtype())
}

func data[T float32 | float64](ts []*tensor.Dense) [][]T {
	out := make([][]T, len(ts))
	for i, t := range ts {
		out[i] = t.Data().([]T)
	}
	return out
}

type bnGeom struct{ n, c, hw int }

// each calls f(offset) for every H*W plane of channel ch.
func (g bnGeom) each(ch int, f func(off int)) {
	for i := range g.n {
		f((i*g.c + ch) * g.hw)
	}
}

// moments are channel ch's mean and 1/sqrt(var+eps) of x.
func moments[T float32 | float64](g bnGeom, x []T, ch int, eps float64) (mean, variance, inv float64) {
	var sum, sq float64
	g.each(ch, func(off int) {
		for _, v := range x[off : off+g.hw] {
			sum += float64(v)
		}
	})
	count := float64(g.n * g.hw)
	mean = sum / count
	g.each(ch, func(off int) {
		for _, v := range x[off : off+g.hw] {
			d := float64(v) - mean
			sq += d * d
		}
	})
	variance = sq / count
	return mean, variance, 1 / math.Sqrt(variance+eps)
}

func bnRun[T float32 | float64](op bnOp, g bnGeom, in [][]T, out []T) error {
	perChannel := g.n * g.hw
	parallel(g.c, max(1, 16384/max(1, perChannel)), func(lo, hi int) { bnChannels(op, g, in, out, lo, hi) })
	return nil
}

// bnChannels runs the op for channels [lo, hi).
func bnChannels[T float32 | float64](op bnOp, g bnGeom, in [][]T, out []T, lo, hi int) {
	x := in[0]
	for ch := lo; ch < hi; ch++ {
		if op.kind == bnGradBeta {
			var s float64
			g.each(ch, func(off int) {
				for _, v := range x[off : off+g.hw] { // x is dy here
					s += float64(v)
				}
			})
			out[ch] = T(s)
			continue
		}
		mean, variance, inv := moments(g, x, ch, op.eps)
		switch op.kind {
		case bnForward:
			op.stats.mean[ch], op.stats.variance[ch] = mean, variance
			gamma, beta := float64(in[1][ch]), float64(in[2][ch])
			g.each(ch, func(off int) {
				for i, v := range x[off : off+g.hw] {
					out[off+i] = T(gamma*(float64(v)-mean)*inv + beta)
				}
			})
		case bnGradGamma:
			out[ch] = T(bnDots(g, x, in[1], ch, mean, inv)[1])
		case bnGradX:
			bnGradInput(g, x, float64(in[1][ch]), in[2], out, ch, mean, inv)
		}
	}
}

// bnDots returns sum(dy) and sum(dy * xhat) over channel ch.
func bnDots[T float32 | float64](g bnGeom, x, dy []T, ch int, mean, inv float64) [2]float64 {
	var sdy, sdyx float64
	g.each(ch, func(off int) {
		for i, v := range x[off : off+g.hw] {
			d := float64(dy[off+i])
			sdy += d
			sdyx += d * (float64(v) - mean) * inv
		}
	})
	return [2]float64{sdy, sdyx}
}

// bnGradInput: dx = gamma*inv*(dy - mean(dy) - xhat*mean(dy*xhat)).
func bnGradInput[T float32 | float64](g bnGeom, x []T, gamma float64, dy, dx []T, ch int, mean, inv float64) {
	d := bnDots(g, x, dy, ch, mean, inv)
	count := float64(g.n * g.hw)
	mdy, mdyx := d[0]/count, d[1]/count
	g.each(ch, func(off int) {
		for i, v := range x[off : off+g.hw] {
			xhat := (float64(v) - mean) * inv
			dx[off+i] = T(gamma * inv * (float64(dy[off+i]) - mdy - xhat*mdyx))
		}
	})
}

func (op bnOp) DiffWRT(n int) []bool {
	out := make([]bool, n)
	for i := range out {
		out[i] = op.kind == bnForward
	}
	return out
}

// SymDiff gives the gradients of x, gamma and beta.
func (op bnOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if op.kind != bnForward {
		return nil, fmt.Errorf("%s is not differentiable", op)
	}
	x, gamma := inputs[0], inputs[1]
	dx, err := G.ApplyOp(bnOp{kind: bnGradX, eps: op.eps}, x, gamma, grad)
	if err != nil {
		return nil, err
	}
	dgamma, err := G.ApplyOp(bnOp{kind: bnGradGamma, eps: op.eps}, x, grad)
	if err != nil {
		return nil, err
	}
	dbeta, err := G.ApplyOp(bnOp{kind: bnGradBeta, eps: op.eps}, grad)
	return G.Nodes{dx, dgamma, dbeta}, err
}

func (op bnOp) ReturnsPtr() bool      { return false }
func (op bnOp) CallsExtern() bool     { return false }
func (op bnOp) OverwritesInput() int  { return -1 }
func (op bnOp) String() string        { return fmt.Sprintf("batchnorm%d{%p}", op.kind, op.stats) }
func (op bnOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op bnOp) Hashcode() uint32 { return hashString(op.String()) }
