package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// arena hands out the output tensors of the custom ops during one run of a
// graph and takes all of them back when the run ends (reset), so that after
// the first step a training step allocates no large buffers: no garbage,
// no page faults, no zeroing. The tape machine runs ops one at a time, so
// an arena is used by one goroutine. Every op writes all of its output.
type arena struct {
	free map[arenaKey][]*tensor.Dense
	used []*tensor.Dense
}

type arenaKey struct {
	dt   tensor.Dtype
	size int
}

func newArena() *arena { return &arena{free: map[arenaKey][]*tensor.Dense{}} }

// get returns a tensor of dt and shape, with arbitrary contents. A nil
// arena allocates.
func (a *arena) get(dt tensor.Dtype, shape tensor.Shape) *tensor.Dense {
	if a == nil {
		return tensor.New(tensor.Of(dt), tensor.WithShape(shape...))
	}
	k := arenaKey{dt, shape.TotalSize()}
	var t *tensor.Dense
	if l := a.free[k]; len(l) > 0 {
		t, a.free[k] = l[len(l)-1], l[:len(l)-1]
		if err := t.Reshape(shape...); err != nil {
			t = nil
		}
	}
	if t == nil {
		t = tensor.New(tensor.Of(dt), tensor.WithShape(shape.Clone()...))
	}
	a.used = append(a.used, t)
	return t
}

// reset returns every tensor handed out since the last reset. Call it once
// the run's results have been copied out (G.Read copies).
func (a *arena) reset() {
	if a == nil {
		return
	}
	for _, t := range a.used {
		k := arenaKey{t.Dtype(), t.Shape().TotalSize()}
		a.free[k] = append(a.free[k], t)
	}
	a.used = a.used[:0]
}

// into is an op's output: the tape machine's preallocated register value
// when it is a dense tensor of dt and shape that no input partly overlaps
// (the tape reuses registers of dead values), else a tensor from the arena.
// Elementwise ops (inPlace) may write over an input identical to prealloc:
// element i of the output depends only on element i of the inputs.
func (a *arena) into(prealloc G.Value, dt tensor.Dtype, shape tensor.Shape, inputs []*tensor.Dense, inPlace bool) *tensor.Dense {
	p, ok := prealloc.(*tensor.Dense)
	if !ok || p.Dtype() != dt || !p.Shape().Eq(shape) || p.IsView() || !p.IsNativelyAccessible() {
		return a.get(dt, shape)
	}
	lo, hi := p.Uintptr(), p.Uintptr()+p.MemSize()
	for _, in := range inputs {
		same := in.Uintptr() == lo && in.MemSize() == p.MemSize() && !in.IsView()
		if in.Uintptr() < hi && lo < in.Uintptr()+in.MemSize() && !(inPlace && same) {
			return a.get(dt, shape)
		}
	}
	return p
}

// denseInputs checks that every value is a *tensor.Dense.
func denseInputs(what string, vals []G.Value) ([]*tensor.Dense, error) {
	ts := make([]*tensor.Dense, len(vals))
	for i, v := range vals {
		t, ok := v.(*tensor.Dense)
		if !ok {
			return nil, fmt.Errorf("%s: input %d is %T, want a dense tensor", what, i, v)
		}
		ts[i] = t
	}
	return ts, nil
}
