package model

import (
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// logits is the classifier: body -> Dense(Classes).
func (d Downstream) logits(b *builder, x *G.Node) *G.Node {
	return b.dense("head", d.down(b, x, true), d.Classes)
}

func (t *Task) buildClassifier() error {
	g := newGraph(t.Params)
	x := t.image(g, "x")
	y := g.input("y", t.Hyper.Batch, t.Down.Classes)
	logits := t.Down.logits(g.b, x)
	loss := g.b.op(G.ApplyOp(xentOp{}, logits, y))
	t.graphs = []*graph{g}
	return g.finish(loss, "")
}

func (t *Task) stepClassifier(x []float32, labels []int32) (Losses, error) {
	y, err := OneHot(labels, t.Down.Classes)
	if err != nil {
		return nil, err
	}
	g := t.graphs[0]
	if err := g.run(map[string][]float32{"x": x, "y": y}); err != nil {
		return nil, err
	}
	l := Losses{"loss": g.scalar("loss")}
	t.update()
	return l, nil
}

// vaeEncode gives the posterior's mean and log-variance of x.
func (d Downstream) vaeEncode(b *builder, x *G.Node) (mu, logvar *G.Node) {
	b.scoped("enc.", func() *G.Node {
		h := d.down(b, x, true)
		mu, logvar = b.dense("mu", h, d.Latent), b.dense("logvar", h, d.Latent)
		return nil
	})
	return mu, logvar
}

func (d Downstream) vaeDecode(b *builder, z *G.Node) *G.Node {
	return b.scoped("dec.", func() *G.Node { return d.up(b, z, true) })
}

// buildVAE: z = mu + exp(logvar/2) * eps; loss = rec + beta * KL with
// rec = sum((x' - x)^2) / B and KL = -1/2 sum(1 + logvar - mu^2 - exp(logvar)) / B.
func (t *Task) buildVAE() error {
	g := newGraph(t.Params)
	b, n, z := g.b, t.Hyper.Batch, t.Down.Latent
	x := t.image(g, "x")
	eps := g.input("eps", n, z)
	mu, lv := t.Down.vaeEncode(b, x)
	std := b.op(G.Exp(b.op(G.HadamardProd(b.scalar(0.5), lv))))
	xr := t.Down.vaeDecode(b, b.add(mu, b.op(G.HadamardProd(std, eps))))
	perRow := b.scalar(1 / float64(n))
	rec := b.op(G.HadamardProd(perRow, b.op(G.Sum(b.op(G.Square(b.op(G.Sub(xr, x))))))))
	// sum(1 + lv - mu^2 - exp(lv)) as scalars: n*z + sum(lv) - sum(mu^2) - sum(exp(lv)).
	s := b.op(G.Sub(b.op(G.Add(b.scalar(float64(n*z)), b.op(G.Sum(lv)))), b.op(G.Sum(b.op(G.Square(mu))))))
	s = b.op(G.Sub(s, b.op(G.Sum(b.op(G.Exp(lv))))))
	kl := b.op(G.HadamardProd(b.scalar(-0.5/float64(n)), s))
	loss := b.op(G.Add(rec, b.op(G.HadamardProd(b.scalar(t.Down.Beta), kl))))
	g.read("rec", rec)
	g.read("kl", kl)
	t.graphs = []*graph{g}
	return g.finish(loss, "")
}

func (t *Task) stepVAE(x []float32) (Losses, error) {
	g := t.graphs[0]
	eps := t.noise(1, t.Hyper.Batch*t.Down.Latent)
	if err := g.run(map[string][]float32{"x": x, "eps": eps}); err != nil {
		return nil, err
	}
	l := Losses{"loss": g.scalar("loss"), "rec": g.scalar("rec"), "kl": g.scalar("kl")}
	t.update()
	return l, nil
}

// beganD is BEGAN's discriminator, an autoencoder v -> D(v).
func (d Downstream) beganD(b *builder, v *G.Node) *G.Node {
	return b.scoped("disc.", func() *G.Node {
		h := b.scoped("enc.", func() *G.Node { return b.dense("code", d.down(b, v, false), d.Latent) })
		return b.scoped("dec.", func() *G.Node { return d.up(b, h, false) })
	})
}

// beganG is BEGAN's generator, z -> an encoding.
func (d Downstream) beganG(b *builder, z *G.Node) *G.Node {
	return b.scoped("gen.", func() *G.Node { return d.up(b, z, false) })
}

// l1 is BEGAN's autoencoder loss L(v) = mean |v - D(v)|.
func (d Downstream) l1(b *builder, v *G.Node) *G.Node {
	return b.op(G.Mean(b.op(G.Abs(b.op(G.Sub(v, d.beganD(b, v)))))))
}

// buildBEGAN: the generator graph (z -> G(z), L_G = L(G(z)), gradients of
// gen.*) and the discriminator graph (x, G(z), k -> L_D = L(x) - k L(G(z)),
// gradients of disc.*).
func (t *Task) buildBEGAN() error {
	gen := newGraph(t.Params)
	z := gen.input("z", t.Hyper.Batch, t.Down.Latent)
	gz := t.Down.beganG(gen.b, z)
	gen.read("gz", gz)
	if err := gen.finish(t.Down.l1(gen.b, gz), "gen."); err != nil {
		return err
	}
	disc := newGraph(t.Params)
	b := disc.b
	x, fake := t.image(disc, "x"), t.image(disc, "gz")
	k := G.NewScalar(b.g, t.Params.dt, G.WithName("k"))
	disc.in["k"] = k
	lr, lf := t.Down.l1(b, x), t.Down.l1(b, fake)
	disc.read("l_real", lr)
	disc.read("l_fake", lf)
	t.graphs = []*graph{gen, disc}
	return disc.finish(b.op(G.Sub(lr, b.op(G.HadamardProd(k, lf)))), "disc.")
}

func (t *Task) stepBEGAN(x []float32) (Losses, error) {
	gen, disc := t.graphs[0], t.graphs[1]
	if err := gen.run(map[string][]float32{"z": t.noise(1, t.Hyper.Batch*t.Down.Latent)}); err != nil {
		return nil, err
	}
	fake := float32s(*gen.reads["gz"])
	if err := disc.run(map[string][]float32{"x": x, "gz": fake, "k": {float32(t.K)}}); err != nil {
		gen.reset()
		return nil, err
	}
	lr, lf := disc.scalar("l_real"), disc.scalar("l_fake")
	l := Losses{"loss": gen.scalar("loss"), "loss_d": disc.scalar("loss"), "l_real": lr, "l_fake": lf}
	t.update()
	t.K, l["m_global"] = BEGANUpdate(t.K, t.Down.LambdaK, t.Down.Gamma, lr, lf)
	l["k"] = t.K
	return l, nil
}

// float32s copies a tensor value out as float32.
func float32s(v G.Value) []float32 {
	switch d := v.Data().(type) {
	case []float32:
		return append([]float32(nil), d...)
	case []float64:
		out := make([]float32, len(d))
		for i, x := range d {
			out[i] = float32(x)
		}
		return out
	}
	return nil
}

// scalarInput is v as a scalar value of dt.
func scalarInput(dt tensor.Dtype, v float32) G.Value {
	if dt == tensor.Float64 {
		return G.NewF64(float64(v))
	}
	return G.NewF32(v)
}
