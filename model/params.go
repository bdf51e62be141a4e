package model

import (
	"fmt"
	"math/rand/v2"
	"strings"

	"gorgonia.org/tensor"
)

// Params holds a model's named tensors in creation order: trainable weights
// and non-trainable state (batch-norm running statistics).
type Params struct {
	dt        tensor.Dtype
	rng       *rand.Rand
	names     []string
	tensors   map[string]*tensor.Dense
	trainable map[string]bool
	frozen    bool // loaded from a checkpoint: no new tensors
}

// NewParams returns an empty set whose weights will be drawn from seed.
func NewParams(dt tensor.Dtype, seed uint64) *Params {
	return &Params{dt: dt, rng: rand.New(rand.NewPCG(seed, 0x57ac)), tensors: map[string]*tensor.Dense{}, trainable: map[string]bool{}}
}

type initKind int

const (
	initNormal initKind = iota // N(0, 0.02), as the reference
	initZeros
	initOnes
)

// get returns the tensor called name, creating it on first use.
func (p *Params) get(name string, shape tensor.Shape, init initKind, trainable bool) (*tensor.Dense, error) {
	if t, ok := p.tensors[name]; ok {
		if !t.Shape().Eq(shape) && p.frozen {
			return nil, fmt.Errorf("checkpoint tensor %s has shape %v, this architecture needs %v (it was trained with another architecture)", name, t.Shape(), shape)
		}
		if !t.Shape().Eq(shape) {
			return nil, fmt.Errorf("param %s: shape %v, want %v", name, t.Shape(), shape)
		}
		return t, nil
	}
	if p.frozen {
		return nil, fmt.Errorf("checkpoint has no tensor %s (it was trained with another architecture)", name)
	}
	t := tensor.New(tensor.Of(p.dt), tensor.WithShape(shape...))
	n := shape.TotalSize()
	for i := range n {
		v := 0.0
		switch init {
		case initNormal:
			v = p.rng.NormFloat64() * 0.02
		case initOnes:
			v = 1
		}
		setAt(t, i, v)
	}
	p.names = append(p.names, name)
	p.tensors[name] = t
	p.trainable[name] = trainable
	return t, nil
}

func setAt(t *tensor.Dense, i int, v float64) {
	switch d := t.Data().(type) {
	case []float32:
		d[i] = float32(v)
	case []float64:
		d[i] = v
	}
}

// put adds a loaded tensor; batch-norm running statistics are not trainable.
func (p *Params) put(name string, t *tensor.Dense) {
	if _, ok := p.tensors[name]; !ok {
		p.names = append(p.names, name)
	}
	p.tensors[name] = t
	p.trainable[name] = !strings.HasSuffix(name, ".running_mean") && !strings.HasSuffix(name, ".running_var")
}

// Names lists every tensor in creation order.
func (p *Params) Names() []string { return append([]string(nil), p.names...) }

// Tensor returns the tensor called name, or nil.
func (p *Params) Tensor(name string) *tensor.Dense { return p.tensors[name] }

// Trainable reports whether name is updated by the optimiser.
func (p *Params) Trainable(name string) bool { return p.trainable[name] }

// Count is the number of trainable scalars.
func (p *Params) Count() int {
	n := 0
	for _, name := range p.names {
		if p.trainable[name] {
			n += p.tensors[name].Shape().TotalSize()
		}
	}
	return n
}

// Float32 returns name's values as float32 (a copy for float64 params).
func (p *Params) Float32(name string) []float32 {
	switch d := p.tensors[name].Data().(type) {
	case []float32:
		return d
	case []float64:
		out := make([]float32, len(d))
		for i, v := range d {
			out[i] = float32(v)
		}
		return out
	}
	return nil
}
