package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

const (
	leakySlope = 0.2
	bnEpsilon  = 1e-5
	bnMomentum = 0.1 // running = (1-m)*running + m*batch, as PyTorch
)

// builder adds layers to one graph. The first error sticks: later calls
// return nil and Err reports it, which keeps model code linear.
type builder struct {
	g     *G.ExprGraph
	p     *Params
	train bool
	nodes map[string]*G.Node
	learn []string  // trainable params used, in order
	stats []bnStats // training: batch statistics to fold into running ones
	mem   *arena    // outputs of the custom ops, reused run after run
	// prefix is prepended to every parameter name (the generator's and the
	// discriminator's layers of a GAN are distinct parameters).
	prefix string
	err    error
}

// bnStats links a training graph's batch norm to its running statistics:
// the fused op writes each batch's mean and variance into buf.
type bnStats struct {
	buf             *bnStatsBuf
	runMean, runVar string
	count           int
}

func newBuilder(p *Params, train bool) *builder {
	return &builder{g: G.NewGraph(), p: p, train: train, nodes: map[string]*G.Node{}, mem: newArena()}
}

func (b *builder) fail(err error) *G.Node {
	if b.err == nil && err != nil {
		b.err = err
	}
	return nil
}

func (b *builder) op(n *G.Node, err error) *G.Node {
	if b.err != nil || err != nil {
		return b.fail(err)
	}
	return n
}

// param returns the graph node bound to the named tensor.
func (b *builder) param(name string, shape tensor.Shape, init initKind, trainable bool) *G.Node {
	if b.err != nil {
		return nil
	}
	name = b.prefix + name
	if n, ok := b.nodes[name]; ok {
		return n
	}
	t, err := b.p.get(name, shape, init, trainable)
	if err != nil {
		return b.fail(err)
	}
	n := G.NodeFromAny(b.g, t, G.WithName(name))
	b.nodes[name] = n
	if trainable {
		b.learn = append(b.learn, name)
	}
	return n
}

func (b *builder) scalar(v float64) *G.Node {
	if b.p.dt == tensor.Float64 {
		return G.NewConstant(v)
	}
	return G.NewConstant(float32(v))
}

// conv is a k x k convolution, 'same' at stride 1, halving at stride 2.
// For even k at stride 1 it pads k/2 and drops the first row and column,
// i.e. TF's 'same' (k/2-1 before, k/2 after).
func (b *builder) conv(name string, x *G.Node, cout, k, stride int, bias bool) *G.Node {
	if b.err != nil {
		return nil
	}
	s := x.Shape()
	w := b.param(name+".w", tensor.Shape{cout, s[1], k, k}, initNormal, true)
	if b.err != nil {
		return nil
	}
	// Padding (top, left, bottom, right): TF 'same' at stride 1 (k/2-1
	// before, k/2 after for even k), (k-2)/2 each side at stride 2.
	lo, hi := (k-1)/2, k/2
	if stride == 2 {
		lo, hi = (k-2)/2, (k-2)/2
	}
	y, fast := b.dnnlConv(x, w, stride, [4]int{lo, lo, hi, hi})
	if !fast {
		y = b.gorgoniaConv(x, w, k, stride, lo, hi)
	}
	if bias {
		if bn := b.param(name+".b", tensor.Shape{cout}, initZeros, true); bn != nil && y != nil {
			y = b.op(G.ApplyOp(biasOp{mem: b.mem}, y, bn))
		}
	}
	return b.op(y, nil)
}

// gorgoniaConv pads symmetrically by hi and drops the extra leading rows
// and columns when lo < hi (gorgonia has no asymmetric padding).
func (b *builder) gorgoniaConv(x, w *G.Node, k, stride, lo, hi int) *G.Node {
	y := b.op(G.Conv2d(x, w, tensor.Shape{k, k}, []int{hi, hi}, []int{stride, stride}, []int{1, 1}))
	if y != nil && lo < hi {
		ys := y.Shape()
		y = b.op(G.Slice(y, nil, nil, G.S(hi-lo, ys[2]), G.S(hi-lo, ys[3])))
	}
	return y
}

// batchNorm normalises per channel: batch statistics when training (the
// fused bnOp, which records them), running statistics otherwise.
func (b *builder) batchNorm(name string, x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	s := x.Shape()
	c := tensor.Shape{s[1]}
	gamma := b.param(name+".gamma", c, initOnes, true)
	beta := b.param(name+".beta", c, initZeros, true)
	runMean := b.param(name+".running_mean", c, initZeros, false)
	runVar := b.param(name+".running_var", c, initOnes, false)
	if b.err != nil {
		return nil
	}
	if b.train {
		st := bnStats{buf: &bnStatsBuf{mean: make([]float64, s[1]), variance: make([]float64, s[1]), dots: make([][2]float64, s[1])},
			runMean: b.prefix + name + ".running_mean", runVar: b.prefix + name + ".running_var", count: s[0] * s[2] * s[3]}
		b.stats = append(b.stats, st)
		y, err := G.ApplyOp(bnOp{kind: bnForward, eps: bnEpsilon, stats: st.buf, mem: b.mem}, x, gamma, beta)
		return b.op(y, err)
	}
	// Inference: the running statistics, one affine map per channel.
	y, err := G.ApplyOp(bnOp{kind: bnInfer, eps: bnEpsilon, mem: b.mem}, x, gamma, beta, runMean, runVar)
	return b.op(y, err)
}

// bnLeaky is LeakyReLU(batchNorm(x)); inference graphs fuse the two into
// one pass over the activations.
func (b *builder) bnLeaky(name string, x *G.Node) *G.Node {
	if b.train || b.err != nil {
		return b.leaky(b.batchNorm(name, x))
	}
	c := tensor.Shape{x.Shape()[1]}
	ins := []*G.Node{x, b.param(name+".gamma", c, initOnes, true), b.param(name+".beta", c, initZeros, true),
		b.param(name+".running_mean", c, initZeros, false), b.param(name+".running_var", c, initOnes, false)}
	if b.err != nil {
		return nil
	}
	return b.op(G.ApplyOp(bnOp{kind: bnInfer, eps: bnEpsilon, mem: b.mem, leaky: leakySlope}, ins...))
}

func (b *builder) leaky(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.op(G.ApplyOp(leakyOp{slope: leakySlope, mem: b.mem}, x))
}

// convBlock is two k x k convolutions, each with batch norm and LeakyReLU(0.2).
func (b *builder) convBlock(name string, x *G.Node, cout, k int) *G.Node {
	for i := range 2 {
		x = b.bnLeaky(fmt.Sprintf("%s.%d.bn", name, i), b.conv(fmt.Sprintf("%s.%d", name, i), x, cout, k, 1, false))
	}
	return x
}

// dense is x (B, in) times w (in, out) plus a bias.
func (b *builder) dense(name string, x *G.Node, out int) *G.Node {
	if b.err != nil {
		return nil
	}
	w := b.param(name+".w", tensor.Shape{x.Shape()[1], out}, initNormal, true)
	bias := b.param(name+".b", tensor.Shape{out}, initZeros, true)
	if b.err != nil {
		return nil
	}
	y := b.op(G.Mul(x, w))
	return b.op(G.BroadcastAdd(y, bias, nil, []byte{0}))
}

func (b *builder) reshape(x *G.Node, to ...int) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.op(G.Reshape(x, tensor.Shape(to)))
}

func (b *builder) up2(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.op(b.upsample2x(x))
}

func (b *builder) add(x, y *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.op(G.Add(x, y))
}

func (b *builder) tanh(x *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	return b.op(G.Tanh(x))
}
