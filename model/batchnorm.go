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
// variance each time the fused batch-norm op runs; its gradient ops, which
// run later in the same step, read them instead of recomputing.
// bnGradX leaves each channel's sum(dy) and sum(dy*xhat) in dots for the
// gamma and beta gradients, which take dx as input only to run after it.
type bnStatsBuf struct {
	mean, variance []float64
	dots           [][2]float64
}

// inv is 1/sqrt(var+eps) of channel ch.
func (b *bnStatsBuf) inv(ch int, eps float64) float64 { return 1 / math.Sqrt(b.variance[ch]+eps) }

// bnKind selects one of the fused batch-norm ops.
type bnKind int

const (
	bnForward   bnKind = iota // (x, gamma, beta) -> y, batch statistics
	bnGradX                   // (x, gamma, dy) -> dx, and the channel sums
	bnGradGamma               // (dx) -> dgamma, from bnGradX's sums
	bnGradBeta                // (dx) -> dbeta, from bnGradX's sums
	bnInfer                   // (x, gamma, beta, running mean, running var) -> y
)

// bnOp is training-mode batch norm over NCHW in one pass per channel,
// instead of ~10 gorgonia ops that each copy or broadcast the whole tensor.
type bnOp struct {
	kind  bnKind
	eps   float64
	stats *bnStatsBuf // written by bnForward, read by the gradients
	mem   *arena
	// leaky, when > 0, fuses LeakyReLU(leaky) into bnInfer: one pass
	// instead of two over the activations (inference graphs only).
	leaky float64
}

func (op bnOp) Arity() int { return [...]int{3, 3, 1, 1, 5}[op.kind] }

func (op bnOp) Type() hm.Type {
	a := hm.TypeVariable('a')
	t4, t1 := G.TensorType{Dims: 4, Of: a}, G.TensorType{Dims: 1, Of: a}
	switch op.kind {
	case bnForward:
		return hm.NewFnType(t4, t1, t1, t4)
	case bnGradX:
		return hm.NewFnType(t4, t1, t4, t4)
	case bnInfer:
		return hm.NewFnType(t4, t1, t1, t1, t1, t4)
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

func (op bnOp) Do(vals ...G.Value) (G.Value, error) { return op.do(nil, vals) }

// UsePreallocDo writes into the tape's register value when it fits.
func (op bnOp) UsePreallocDo(p G.Value, vals ...G.Value) (G.Value, error) { return op.do(p, vals) }

func (op bnOp) do(prealloc G.Value, vals []G.Value) (G.Value, error) {
	ts, err := denseInputs("batch norm", vals)
	if err != nil {
		return nil, err
	}
	shape, err := op.InferShape(ts[0].Shape())
	if err != nil {
		return nil, err
	}
	// Every kind reads a channel fully before writing it, or writes per-channel
	// sums: in place is safe.
	out := op.mem.into(prealloc, ts[0].Dtype(), shape, ts, true)
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

// moments are channel ch's mean and biased variance of x, in one pass
// (float64 sums of x and x^2).
func moments[T float32 | float64](g bnGeom, x []T, ch int) (mean, variance float64) {
	var sum, sq float64
	g.each(ch, func(off int) {
		for _, v := range x[off : off+g.hw] {
			f := float64(v)
			sum += f
			sq += f * f
		}
	})
	count := float64(g.n * g.hw)
	mean = sum / count
	return mean, max(0, sq/count-mean*mean)
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
		switch op.kind {
		case bnForward:
			mean, variance := moments(g, x, ch)
			op.stats.mean[ch], op.stats.variance[ch] = mean, variance
			inv := op.stats.inv(ch, op.eps)
			affine(g, x, out, ch, T(float64(in[1][ch])*inv), T(float64(in[2][ch])-float64(in[1][ch])*inv*mean))
		case bnGradX:
			bnGradInput(g, x, float64(in[1][ch]), in[2], out, ch, op.stats, op.eps)
		case bnGradGamma:
			out[ch] = T(op.stats.dots[ch][1])
		case bnGradBeta:
			out[ch] = T(op.stats.dots[ch][0])
		case bnInfer:
			inv := 1 / math.Sqrt(float64(in[4][ch])+op.eps)
			a := float64(in[1][ch]) * inv
			c := float64(in[2][ch]) - a*float64(in[3][ch])
			if op.leaky > 0 {
				affineLeaky(g, x, out, ch, a, c, op.leaky)
			} else {
				affine(g, x, out, ch, T(a), T(c))
			}
		}
	}
}

// affineLeaky writes LeakyReLU(a*x + c) over channel ch, branch-free (see
// leaky32): (1+s)/2*y + (1-s)/2*|y|.
func affineLeaky[T float32 | float64](g bnGeom, x, out []T, ch int, a, c, slope float64) {
	at, ct := T(a), T(c)
	p, q := T((1+slope)/2), T((1-slope)/2)
	g.each(ch, func(off int) {
		o := out[off : off+g.hw]
		for i, v := range x[off : off+g.hw] {
			y := at*v + ct
			o[i] = p*y + q*abs(y)
		}
	})
}

func abs[T float32 | float64](v T) T {
	if f, ok := any(v).(float32); ok {
		return T(math.Float32frombits(math.Float32bits(f) &^ (1 << 31)))
	}
	return T(math.Abs(float64(v)))
}

// affine writes a*x + c over channel ch.
func affine[T float32 | float64](g bnGeom, x, out []T, ch int, a, c T) {
	g.each(ch, func(off int) {
		o := out[off : off+g.hw]
		for i, v := range x[off : off+g.hw] {
			o[i] = a*v + c
		}
	})
}

// bnDots returns sum(dy) and sum(dy * xhat) over channel ch, in one pass:
// sum(dy*xhat) = inv * (sum(dy*x) - mean*sum(dy)).
func bnDots[T float32 | float64](g bnGeom, x, dy []T, ch int, mean, inv float64) [2]float64 {
	var sdy, sdyx float64
	g.each(ch, func(off int) {
		for i, v := range x[off : off+g.hw] {
			d := float64(dy[off+i])
			sdy += d
			sdyx += d * float64(v)
		}
	})
	return [2]float64{sdy, inv * (sdyx - mean*sdy)}
}

// bnGradInput: dx = gamma*inv*(dy - mean(dy) - xhat*mean(dy*xhat)), as
// dx = k*dy + a*x + c per channel; it keeps the sums for dgamma and dbeta.
func bnGradInput[T float32 | float64](g bnGeom, x []T, gamma float64, dy, dx []T, ch int, st *bnStatsBuf, eps float64) {
	mean, inv := st.mean[ch], st.inv(ch, eps)
	d := bnDots(g, x, dy, ch, mean, inv)
	st.dots[ch] = d
	count := float64(g.n * g.hw)
	mdy, mdyx := d[0]/count, d[1]/count
	kf := gamma * inv
	k, a, c := T(kf), T(-kf*inv*mdyx), T(kf*(inv*mdyx*mean-mdy))
	g.each(ch, func(off int) {
		o, dd := dx[off:off+g.hw], dy[off:off+g.hw]
		for i, v := range x[off : off+g.hw] {
			o[i] = k*dd[i] + a*v + c
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
	dx, err := G.ApplyOp(bnOp{kind: bnGradX, eps: op.eps, stats: op.stats, mem: op.mem}, x, gamma, grad)
	if err != nil {
		return nil, err
	}
	dgamma, err := G.ApplyOp(bnOp{kind: bnGradGamma, eps: op.eps, stats: op.stats, mem: op.mem}, dx)
	if err != nil {
		return nil, err
	}
	dbeta, err := G.ApplyOp(bnOp{kind: bnGradBeta, eps: op.eps, stats: op.stats, mem: op.mem}, dx)
	return G.Nodes{dx, dgamma, dbeta}, err
}

// ReturnsPtr: see leakyOp.ReturnsPtr.
func (op bnOp) ReturnsPtr() bool  { return op.OverwritesInput() >= 0 }
func (op bnOp) CallsExtern() bool { return false }

// OverwritesInput lets the tape hand a dead input's register to the op
// (every kind is safe in place, see do): the gradient overwrites dy, the
// inference op x. The training forward keeps x, which its gradient reads.
func (op bnOp) OverwritesInput() int {
	switch op.kind {
	case bnGradX:
		return 2
	case bnInfer:
		return 0
	}
	return -1
}
func (op bnOp) String() string {
	return fmt.Sprintf("batchnorm%d{%p %g}", op.kind, op.stats, op.leaky)
}
func (op bnOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.String()) }

func (op bnOp) Hashcode() uint32 { return hashString(op.String()) }
