package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Net is an inference graph (encoder or decoder) with batch norm in
// inference mode, over the same Params a Trainer updates.
type Net struct {
	vm      G.VM
	in, out *G.Node
	outV    *G.Value // snapshot of out, see Trainer
	mem     *arena
	batch   int
	inSize  int
	outSize int
}

// NewEncoder builds E for batches of up to batch inputs.
func NewEncoder(arch Arch, p *Params, batch int) (*Net, error) {
	in := arch.InShape
	return newNet(p, batch, []int{in[2], in[0], in[1]}, func(b *builder, x *G.Node) *G.Node { return arch.encode(b, x) })
}

// NewDecoder builds D for batches of up to batch encodings.
func NewDecoder(arch Arch, p *Params, batch int) (*Net, error) {
	c := arch.CodeShape()
	return newNet(p, batch, []int{c[2], c[0], c[1]}, func(b *builder, z *G.Node) *G.Node { return arch.decode(b, z) })
}

// newNet builds an inference graph whose input is batch rows of shape in.
func newNet(p *Params, batch int, in []int, build func(*builder, *G.Node) *G.Node) (*Net, error) {
	b := newBuilder(p, false)
	shape := append([]int{batch}, in...)
	x := G.NewTensor(b.g, p.dt, len(shape), G.WithShape(shape...), G.WithName("in"))
	out := build(b, x)
	if b.err != nil {
		return nil, fmt.Errorf("build inference graph: %w", b.err)
	}
	outV := new(G.Value)
	G.Read(out, outV)
	return &Net{vm: G.NewTapeMachine(b.g), in: x, out: out, outV: outV, mem: b.mem, batch: batch,
		inSize: x.Shape().TotalSize() / batch, outSize: out.Shape().TotalSize() / batch}, nil
}

// Run maps n <= batch NCHW inputs to n NCHW outputs; short batches are
// padded with zeros (batch norm uses running statistics, so rows do not
// influence each other).
func (n *Net) Run(nchw []float32) ([]float32, error) {
	rows := len(nchw) / n.inSize
	if rows*n.inSize != len(nchw) || rows > n.batch || rows == 0 {
		return nil, fmt.Errorf("net input of %d values: want 1..%d rows of %d", len(nchw), n.batch, n.inSize)
	}
	full := make([]float32, n.batch*n.inSize)
	copy(full, nchw)
	var in *tensor.Dense
	if n.in.Dtype() == tensor.Float64 {
		f := make([]float64, len(full))
		for i, v := range full {
			f[i] = float64(v)
		}
		in = tensor.New(tensor.WithShape(n.in.Shape()...), tensor.WithBacking(f))
	} else {
		in = tensor.New(tensor.WithShape(n.in.Shape()...), tensor.WithBacking(full))
	}
	if err := G.Let(n.in, in); err != nil {
		return nil, err
	}
	defer func() {
		n.vm.Reset()
		n.mem.reset()
	}()
	if err := n.vm.RunAll(); err != nil {
		return nil, fmt.Errorf("inference: %w", err)
	}
	out := make([]float32, rows*n.outSize)
	switch d := (*n.outV).Data().(type) {
	case []float32:
		copy(out, d)
	case []float64:
		for i := range out {
			out[i] = float32(d[i])
		}
	}
	return out, nil
}
