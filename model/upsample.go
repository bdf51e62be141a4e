package model

import (
	"fmt"
	"hash"
	"hash/fnv"

	"github.com/chewxy/hm"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Upsample2x is nearest-neighbour 2x upsampling of an NCHW tensor. gorgonia's
// Upsample2D is correct but moves one element per At/SetAt call; this op
// works on the backing slices. Its gradient is Down2xSum.
func Upsample2x(x *G.Node) (*G.Node, error) { return G.ApplyOp(scale2xOp{up: true}, x) }

func (b *builder) upsample2x(x *G.Node) (*G.Node, error) {
	return G.ApplyOp(scale2xOp{up: true, mem: b.mem}, x)
}

// scale2xOp is nearest 2x upsampling (up) or its adjoint, the sum over each
// 2x2 block (down).
type scale2xOp struct {
	up  bool
	mem *arena
}

func (op scale2xOp) name() string {
	if op.up {
		return "upsample2x"
	}
	return "down2xsum"
}

func (op scale2xOp) Arity() int { return 1 }

func (op scale2xOp) Type() hm.Type {
	t := G.TensorType{Dims: 4, Of: hm.TypeVariable('a')}
	return hm.NewFnType(t, t)
}

func (op scale2xOp) InferShape(in ...G.DimSizer) (tensor.Shape, error) {
	s, ok := in[0].(tensor.Shape)
	if !ok || len(s) != 4 {
		return nil, fmt.Errorf("%s: want an NCHW shape, got %v", op.name(), in[0])
	}
	s = s.Clone()
	if op.up {
		s[2], s[3] = 2*s[2], 2*s[3]
	} else {
		if s[2]%2 != 0 || s[3]%2 != 0 {
			return nil, fmt.Errorf("%s: odd spatial size %v", op.name(), s)
		}
		s[2], s[3] = s[2]/2, s[3]/2
	}
	return s, nil
}

func (op scale2xOp) Do(vals ...G.Value) (G.Value, error) { return op.do(nil, vals) }

// UsePreallocDo writes into the tape's register value when it fits.
func (op scale2xOp) UsePreallocDo(p G.Value, vals ...G.Value) (G.Value, error) { return op.do(p, vals) }

func (op scale2xOp) do(prealloc G.Value, vals []G.Value) (G.Value, error) {
	ts, err := denseInputs(op.name(), vals)
	if err != nil {
		return nil, err
	}
	in := ts[0]
	outShape, err := op.InferShape(in.Shape())
	if err != nil {
		return nil, err
	}
	out := op.mem.into(prealloc, in.Dtype(), outShape, ts, false)
	s := in.Shape()
	switch d := in.Data().(type) {
	case []float32:
		scale2x(d, out.Data().([]float32), s[0]*s[1], s[2], s[3], op.up)
	case []float64:
		scale2x(d, out.Data().([]float64), s[0]*s[1], s[2], s[3], op.up)
	default:
		return nil, fmt.Errorf("%s: dtype %v", op.name(), in.Dtype())
	}
	return out, nil
}

// scale2x runs over planes of h x w (the input's spatial size).
func scale2x[T float32 | float64](in, out []T, planes, h, w int, up bool) {
	if up {
		for p := range planes {
			src, dst := in[p*h*w:(p+1)*h*w], out[p*4*h*w:(p+1)*4*h*w]
			for y := range h {
				row0, row1 := dst[(2*y)*2*w:(2*y+1)*2*w], dst[(2*y+1)*2*w:(2*y+2)*2*w]
				for x, v := range src[y*w : (y+1)*w] {
					row0[2*x], row0[2*x+1], row1[2*x], row1[2*x+1] = v, v, v, v
				}
			}
		}
		return
	}
	oh, ow := h/2, w/2
	for p := range planes {
		src, dst := in[p*h*w:(p+1)*h*w], out[p*oh*ow:(p+1)*oh*ow]
		for y := range oh {
			r0, r1 := src[(2*y)*w:(2*y+1)*w], src[(2*y+1)*w:(2*y+2)*w]
			for x := range ow {
				dst[y*ow+x] = r0[2*x] + r0[2*x+1] + r1[2*x] + r1[2*x+1]
			}
		}
	}
}

func (op scale2xOp) ReturnsPtr() bool      { return false }
func (op scale2xOp) CallsExtern() bool     { return false }
func (op scale2xOp) OverwritesInput() int  { return -1 }
func (op scale2xOp) String() string        { return op.name() }
func (op scale2xOp) WriteHash(h hash.Hash) { fmt.Fprint(h, op.name()) }

func (op scale2xOp) Hashcode() uint32 { return hashString(op.String()) }

// hashString is the Hashcode of the custom ops: their String is their identity.
func hashString(s string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(s))
	return h.Sum32()
}

// DiffWRT: the upsample is differentiable; its adjoint is only used as a gradient.
func (op scale2xOp) DiffWRT(int) []bool { return []bool{op.up} }

// SymDiff returns the gradient of the input: the 2x2 block sum of the
// output's gradient.
func (op scale2xOp) SymDiff(inputs G.Nodes, output, grad *G.Node) (G.Nodes, error) {
	if !op.up {
		return nil, fmt.Errorf("%s is not differentiable", op.name())
	}
	g, err := G.ApplyOp(scale2xOp{up: false, mem: op.mem}, grad)
	return G.Nodes{g}, err
}
