package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Task trains a Downstream model: one graph (classifier, VAE) or two
// (BEGAN: generator, then discriminator), Adam over every trainable tensor,
// and noise drawn from (Seed, step), so that a resumed run repeats an
// uninterrupted one exactly.
type Task struct {
	Down   Downstream
	Hyper  Hyper
	Seed   uint64
	Params *Params
	Adam   *Adam
	// K is BEGAN's k_t, the weight of the generated term in L_D.
	K      float64
	graphs []*graph
}

// Losses are one step's numbers by name: "loss" always; "rec" and "kl"
// (VAE); "loss_d", "l_real", "l_fake", "k" and "m_global" (BEGAN, where
// "loss" is L_G).
type Losses map[string]float64

// graph is one training graph with its inputs, read-outs and gradients.
type graph struct {
	b     *builder
	vm    G.VM
	in    map[string]*G.Node
	reads map[string]*G.Value
	grads map[string]*G.Value
	learn []string
}

// NewTask builds the training graphs of d over p (created on first use).
func NewTask(d Downstream, hp Hyper, seed uint64, p *Params) (*Task, error) {
	if err := d.Validate(); err != nil {
		return nil, err
	}
	if err := hp.Validate(); err != nil {
		return nil, err
	}
	t := &Task{Down: d, Hyper: hp, Seed: seed, Params: p, Adam: NewAdam(hp.LR, hp.Beta1, hp.Beta2)}
	var err error
	switch d.Kind {
	case KindClassifier:
		err = t.buildClassifier()
	case KindVAE:
		err = t.buildVAE()
	case KindBEGAN:
		err = t.buildBEGAN()
	}
	if err != nil {
		return nil, fmt.Errorf("build %s graph: %w", d.Kind, err)
	}
	return t, nil
}

func newGraph(p *Params) *graph {
	return &graph{b: newBuilder(p, true), in: map[string]*G.Node{}, reads: map[string]*G.Value{}, grads: map[string]*G.Value{}}
}

// input adds a named input node of shape.
func (g *graph) input(name string, shape ...int) *G.Node {
	n := G.NewTensor(g.b.g, g.b.p.dt, len(shape), G.WithShape(shape...), G.WithName(name))
	g.in[name] = n
	return n
}

// image is an NCHW batch input of the task's encodings.
func (t *Task) image(g *graph, name string) *G.Node {
	s := t.Down.InShape
	return g.input(name, t.Hyper.Batch, s[2], s[0], s[1])
}

func (g *graph) read(name string, n *G.Node) {
	if n != nil {
		g.reads[name] = new(G.Value)
		G.Read(n, g.reads[name])
	}
}

// finish differentiates loss with respect to the trainable tensors whose
// names start with prefix and compiles the graph.
func (g *graph) finish(loss *G.Node, prefix string) error {
	if g.b.err != nil {
		return g.b.err
	}
	g.read("loss", loss)
	var nodes G.Nodes
	for _, name := range g.b.learn {
		if strings.HasPrefix(name, prefix) {
			g.learn = append(g.learn, name)
			nodes = append(nodes, g.b.nodes[name])
		}
	}
	gs, err := G.Grad(loss, nodes...)
	if err != nil {
		return err
	}
	for i, name := range g.learn {
		g.grads[name] = new(G.Value)
		G.Read(gs[i], g.grads[name])
	}
	g.vm = G.NewTapeMachine(g.b.g)
	return nil
}

// run feeds the inputs and runs the tape; the caller resets.
func (g *graph) run(feeds map[string][]float32) error {
	for name, n := range g.in {
		v, ok := feeds[name]
		if !ok {
			return fmt.Errorf("no value for input %s", name)
		}
		var val G.Value
		switch {
		case n.IsScalar() && len(v) == 1:
			val = scalarInput(g.b.p.dt, v[0])
		case !n.IsScalar() && len(v) == n.Shape().TotalSize():
			val = denseOf(g.b.p.dt, n.Shape(), v)
		default:
			return fmt.Errorf("input %s: %d values, want %v", name, len(v), n.Shape())
		}
		if err := G.Let(n, val); err != nil {
			return err
		}
	}
	if err := g.vm.RunAll(); err != nil {
		g.reset()
		return err
	}
	return nil
}

func (g *graph) reset() {
	g.vm.Reset()
	g.b.mem.reset()
}

func (g *graph) scalar(name string) float64 { return scalarOf(*g.reads[name]) }

func denseOf(dt tensor.Dtype, shape tensor.Shape, v []float32) *tensor.Dense {
	if dt == tensor.Float64 {
		f := make([]float64, len(v))
		for i, x := range v {
			f[i] = float64(x)
		}
		return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(f))
	}
	return tensor.New(tensor.WithShape(shape.Clone()...), tensor.WithBacking(v))
}

// noise is the step's standard-normal draw of n values for stream.
func (t *Task) noise(stream uint64, n int) []float32 {
	rng := rand.New(rand.NewPCG(t.Seed^0x9e3779b97f4a7c15, uint64(t.Adam.Step)<<8|stream))
	out := make([]float32, n)
	for i := range out {
		out[i] = float32(rng.NormFloat64())
	}
	return out
}

// Step trains on one batch of Hyper.Batch NCHW encodings (labels for the
// classifier, 0..Classes-1) and returns the step's losses.
func (t *Task) Step(nchw []float32, labels []int32) (Losses, error) {
	var l Losses
	var err error
	switch t.Down.Kind {
	case KindClassifier:
		l, err = t.stepClassifier(nchw, labels)
	case KindVAE:
		l, err = t.stepVAE(nchw)
	default:
		l, err = t.stepBEGAN(nchw)
	}
	if err != nil {
		return nil, fmt.Errorf("%s step %d: %w", t.Down.Kind, t.Adam.Step+1, err)
	}
	return l, nil
}

// update applies Adam to every graph's gradients, folds batch-norm
// statistics and resets the graphs.
func (t *Task) update() {
	grads := map[string]*tensor.Dense{}
	var names []string
	for _, g := range t.graphs {
		for _, name := range g.learn {
			grads[name] = (*g.grads[name]).(*tensor.Dense)
			names = append(names, name)
		}
	}
	t.Adam.Update(t.Params, grads, names)
	for _, g := range t.graphs {
		foldStats(t.Params, g.b.stats)
		g.reset()
	}
}

// OneHot encodes labels as (len, classes) rows; a label out of range is an
// error naming it.
func OneHot(labels []int32, classes int) ([]float32, error) {
	out := make([]float32, len(labels)*classes)
	for i, l := range labels {
		if l < 0 || int(l) >= classes {
			return nil, fmt.Errorf("label %d of row %d: want 0..%d", l, i, classes-1)
		}
		out[i*classes+int(l)] = 1
	}
	return out, nil
}

// BEGANUpdate is k_{t+1} = clip(k_t + lambdaK (gamma L(x) - L(G(z))), 0, 1)
// and the convergence measure M_global = L(x) + |gamma L(x) - L(G(z))|.
func BEGANUpdate(k, lambdaK, gamma, lReal, lFake float64) (next, mGlobal float64) {
	balance := gamma*lReal - lFake
	return min(1, max(0, k+lambdaK*balance)), lReal + math.Abs(balance)
}
