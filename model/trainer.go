package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Hyper are the optimisation settings.
type Hyper struct {
	LR    float64 `json:"lr"`
	Beta1 float64 `json:"beta1"`
	Beta2 float64 `json:"beta2"`
	Batch int     `json:"batch"`
}

// DefaultHyper is the reference: Adam lr 1e-4, beta1 0.5, batch 32.
func DefaultHyper() Hyper { return Hyper{LR: 1e-4, Beta1: 0.5, Beta2: 0.999, Batch: 32} }

// Validate names the first bad field by its config key.
func (h Hyper) Validate() error {
	switch {
	case !(h.LR > 0):
		return fmt.Errorf("train.lr: %v (want > 0)", h.LR)
	case h.Beta1 < 0 || h.Beta1 >= 1:
		return fmt.Errorf("train.beta1: %v (want [0, 1))", h.Beta1)
	case h.Beta2 < 0 || h.Beta2 >= 1:
		return fmt.Errorf("train.beta2: %v (want [0, 1))", h.Beta2)
	case h.Batch < 1:
		return fmt.Errorf("train.batch: %d (want >= 1)", h.Batch)
	}
	return nil
}

// Trainer owns the training graph of one level: E then D, MSE against the
// input, gradients, a tape machine and Adam. Step is one batch.
type Trainer struct {
	Arch   Arch
	Hyper  Hyper
	Params *Params
	Adam   *Adam
	b      *builder
	vm     G.VM
	x      *G.Node
	// Values snapshotted by G.Read while the tape runs (the tape machine
	// reuses intermediate buffers, so Value() after RunAll is unreliable).
	lossV  *G.Value
	gradsV map[string]*G.Value
}

// NewTrainer builds the training graph over p (created on first use).
func NewTrainer(arch Arch, hp Hyper, p *Params) (*Trainer, error) {
	if err := arch.Validate(); err != nil {
		return nil, err
	}
	if err := hp.Validate(); err != nil {
		return nil, err
	}
	b := newBuilder(p, true)
	in := arch.InShape
	x := G.NewTensor(b.g, p.dt, 4, G.WithShape(hp.Batch, in[2], in[0], in[1]), G.WithName("x"))
	loss := b.mse(arch.decode(b, arch.encode(b, x)), x)
	if b.err != nil {
		return nil, fmt.Errorf("build level graph: %w", b.err)
	}
	nodes := make(G.Nodes, len(b.learn))
	for i, name := range b.learn {
		nodes[i] = b.nodes[name]
	}
	gs, err := G.Grad(loss, nodes...)
	if err != nil {
		return nil, fmt.Errorf("build gradients: %w", err)
	}
	t := &Trainer{Arch: arch, Hyper: hp, Params: p, Adam: NewAdam(hp.LR, hp.Beta1, hp.Beta2), b: b, x: x,
		lossV: new(G.Value), gradsV: map[string]*G.Value{}}
	G.Read(loss, t.lossV)
	for i, name := range b.learn {
		t.gradsV[name] = new(G.Value)
		G.Read(gs[i], t.gradsV[name])
	}
	t.vm = G.NewTapeMachine(b.g)
	return t, nil
}

// Step trains on one batch of Hyper.Batch NCHW inputs and returns its loss.
func (t *Trainer) Step(nchw []float32) (float64, error) {
	loss, err := t.forwardBackward(nchw)
	if err != nil {
		return 0, err
	}
	grads := make(map[string]*tensor.Dense, len(t.gradsV))
	for name, v := range t.gradsV {
		grads[name] = (*v).(*tensor.Dense)
	}
	t.Adam.Update(t.Params, grads, t.b.learn)
	t.foldBatchStats()
	t.reset()
	return loss, nil
}

func (t *Trainer) forwardBackward(nchw []float32) (float64, error) {
	want := t.x.Shape().TotalSize()
	if len(nchw) != want {
		return 0, fmt.Errorf("batch of %d values, want %d (%v)", len(nchw), want, t.x.Shape())
	}
	var in *tensor.Dense
	if t.Params.dt == tensor.Float64 {
		f := make([]float64, len(nchw))
		for i, v := range nchw {
			f[i] = float64(v)
		}
		in = tensor.New(tensor.WithShape(t.x.Shape()...), tensor.WithBacking(f))
	} else {
		in = tensor.New(tensor.WithShape(t.x.Shape()...), tensor.WithBacking(nchw))
	}
	if err := G.Let(t.x, in); err != nil {
		return 0, err
	}
	if err := t.vm.RunAll(); err != nil {
		t.reset()
		return 0, fmt.Errorf("train step: %w", err)
	}
	return scalarOf(*t.lossV), nil
}

// reset readies the tape and the ops' buffers for the next step.
func (t *Trainer) reset() {
	t.vm.Reset()
	t.b.mem.reset()
}

// foldBatchStats moves each batch norm's running statistics toward the
// batch's.
func (t *Trainer) foldBatchStats() { foldStats(t.Params, t.b.stats) }

// foldStats moves running statistics toward the batch's (unbiased
// variance), as PyTorch does.
func foldStats(p *Params, stats []bnStats) {
	for _, s := range stats {
		rm, rv := p.Tensor(s.runMean), p.Tensor(s.runVar)
		unbias := float64(s.count) / float64(max(s.count-1, 1))
		for i := range rm.Shape().TotalSize() {
			setAt(rm, i, (1-bnMomentum)*at(rm, i)+bnMomentum*s.buf.mean[i])
			setAt(rv, i, (1-bnMomentum)*at(rv, i)+bnMomentum*s.buf.variance[i]*unbias)
		}
	}
}

func at(t *tensor.Dense, i int) float64 {
	switch d := t.Data().(type) {
	case []float32:
		return float64(d[i])
	case []float64:
		return d[i]
	}
	return 0
}

func scalarOf(v G.Value) float64 {
	switch d := v.Data().(type) {
	case float32:
		return float64(d)
	case float64:
		return d
	}
	return 0
}

// Checkpoint captures the trainer's state under meta (Arch, Hyper and the
// optimiser are filled in).
func (t *Trainer) Checkpoint(meta Meta) *Checkpoint {
	meta.Kind, meta.Arch, meta.Hyper, meta.Step = "autoencoder", t.Arch, t.Hyper, t.Adam.Step
	return &Checkpoint{Meta: meta, Params: t.Params, Adam: t.Adam}
}

// ResumeTrainer rebuilds the trainer a checkpoint was taken from, with its
// weights, batch-norm statistics and optimiser moments.
func ResumeTrainer(c *Checkpoint) (*Trainer, error) {
	t, err := NewTrainer(c.Meta.Arch, c.Meta.Hyper, c.Params)
	if err != nil {
		return nil, err
	}
	if c.Adam != nil {
		t.Adam = c.Adam
	}
	return t, nil
}
