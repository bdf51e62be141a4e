package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// Downstream model kinds.
const (
	KindClassifier = "classifier"
	KindVAE        = "vae"
	KindBEGAN      = "began"
)

// Downstream is the architecture and loss settings of a model trained on a
// level's encodings (or on pixels, level 0). Its conv body halves H and W
// with stride-2 convs while they are even and above 4, then flattens into
// dense layers of Hidden units; an input of 1x1xC gets an MLP instead.
type Downstream struct {
	Kind    string `json:"kind"`
	InShape [3]int `json:"in_shape"` // H, W, C of one encoding
	Width   int    `json:"width"`    // channels of every conv
	Hidden  int    `json:"hidden"`   // units of the dense layers
	Kernel  int    `json:"kernel"`
	// Classes is the classifier's output size (labels 0..Classes-1).
	Classes int `json:"classes,omitempty"`
	// Latent is z's size (VAE and BEGAN; BEGAN's discriminator bottleneck).
	Latent int `json:"latent,omitempty"`
	// Beta weighs the VAE's KL term.
	Beta float64 `json:"beta,omitempty"`
	// Gamma and LambdaK are BEGAN's diversity ratio and k_t learning rate.
	Gamma   float64 `json:"gamma,omitempty"`
	LambdaK float64 `json:"lambda_k,omitempty"`
}

// Validate checks d, naming fields by their config keys.
func (d Downstream) Validate() error {
	h, w, c := d.InShape[0], d.InShape[1], d.InShape[2]
	switch {
	case h < 1 || w < 1 || c < 1:
		return fmt.Errorf("input shape %v: every dimension must be >= 1", d.InShape)
	case d.Width < 1:
		return fmt.Errorf("downstream.width: %d (want >= 1)", d.Width)
	case d.Hidden < 1:
		return fmt.Errorf("downstream.hidden: %d (want >= 1)", d.Hidden)
	case d.Kernel < 2 || d.Kernel%2 != 0:
		return fmt.Errorf("downstream.kernel: %d (want an even size >= 2)", d.Kernel)
	}
	switch d.Kind {
	case KindClassifier:
		if d.Classes < 2 {
			return fmt.Errorf("downstream.classes: %d (want >= 2)", d.Classes)
		}
	case KindVAE, KindBEGAN:
		if d.Latent < 1 {
			return fmt.Errorf("downstream.latent: %d (want >= 1)", d.Latent)
		}
		if d.Kind == KindVAE && d.Beta < 0 {
			return fmt.Errorf("downstream.beta: %v (want >= 0)", d.Beta)
		}
		if d.Kind == KindBEGAN && (d.Gamma <= 0 || d.Gamma > 1 || d.LambdaK < 0) {
			return fmt.Errorf("downstream.gamma %v, lambda_k %v: want gamma in (0, 1], lambda_k >= 0", d.Gamma, d.LambdaK)
		}
	default:
		return fmt.Errorf("downstream.kind: %q (want %s, %s or %s)", d.Kind, KindClassifier, KindVAE, KindBEGAN)
	}
	return nil
}

// mlp reports whether the input is a vector (1x1xC): dense layers only.
func (d Downstream) mlp() bool { return d.InShape[0] == 1 && d.InShape[1] == 1 }

// downscales is how many times the conv body halves H and W.
func (d Downstream) downscales() int {
	n, h, w := 0, d.InShape[0], d.InShape[1]
	for h > 4 && w > 4 && h%2 == 0 && w%2 == 0 {
		h, w, n = h/2, w/2, n+1
	}
	return n
}

// down maps x (B, C, H, W) to features (B, Hidden). norm adds batch norm
// after each conv (not in BEGAN, whose discriminator sees real and
// generated batches separately).
func (d Downstream) down(b *builder, x *G.Node, norm bool) *G.Node {
	if b.err != nil {
		return nil
	}
	n := x.Shape()[0]
	if d.mlp() {
		f := b.reshape(x, n, d.InShape[2])
		f = b.leaky(b.dense("fc0", f, d.Hidden))
		return b.leaky(b.dense("fc1", f, d.Hidden))
	}
	h := d.convAct(b, "in", x, 1, norm)
	for s := range d.downscales() {
		h = d.convAct(b, fmt.Sprintf("down%d", s), h, 2, norm)
	}
	if b.err != nil {
		return nil
	}
	s := h.Shape()
	f := b.reshape(h, n, s[1]*s[2]*s[3])
	return b.leaky(b.dense("fc", f, d.Hidden))
}

// up maps v (B, K) to an encoding (B, C, H, W) in [-1, 1].
func (d Downstream) up(b *builder, v *G.Node, norm bool) *G.Node {
	if b.err != nil {
		return nil
	}
	n, c := v.Shape()[0], d.InShape[2]
	if d.mlp() {
		f := b.leaky(b.dense("fc0", v, d.Hidden))
		f = b.leaky(b.dense("fc1", f, d.Hidden))
		return b.tanh(b.reshape(b.dense("out", f, c), n, c, 1, 1))
	}
	s := d.downscales()
	h0, w0 := d.InShape[0]>>s, d.InShape[1]>>s
	h := b.leaky(b.reshape(b.dense("fc", v, d.Width*h0*w0), n, d.Width, h0, w0))
	for i := range s {
		h = d.convAct(b, fmt.Sprintf("up%d", i), b.up2(h), 1, norm)
	}
	return b.tanh(b.conv("out", h, c, d.Kernel, 1, true))
}

// convAct is conv -> (batch norm) -> LeakyReLU.
func (d Downstream) convAct(b *builder, name string, x *G.Node, stride int, norm bool) *G.Node {
	if norm {
		return b.bnLeaky(name+".bn", b.conv(name, x, d.Width, d.Kernel, stride, false))
	}
	return b.leaky(b.conv(name, x, d.Width, d.Kernel, stride, true))
}

// scoped builds f's layers with parameter names under prefix.
func (b *builder) scoped(prefix string, f func() *G.Node) *G.Node {
	old := b.prefix
	b.prefix = old + prefix
	defer func() { b.prefix = old }()
	return f()
}
