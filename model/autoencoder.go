package model

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// encode builds E: x (B, C, H, W) -> z (B, Features, H/f, W/f) in [-1, 1].
func (a Arch) encode(b *builder, x *G.Node) *G.Node {
	k, wd := a.Kernel, a.Width
	h := x
	for i := range a.Blocks {
		h = b.convBlock(fmt.Sprintf("enc.in.%d", i), h, wd, k)
	}
	for s := range a.Downscales() {
		d := b.conv(fmt.Sprintf("enc.down%d", s), h, wd, k, 2, true)
		h = d
		for i := range a.Blocks {
			h = b.convBlock(fmt.Sprintf("enc.down%d.block%d", s, i), h, wd, k)
		}
		h = b.add(d, h) // residual around the blocks
	}
	if a.Factor == 0 {
		return a.flattenEncode(b, h)
	}
	return b.tanh(b.conv("enc.out", h, a.Features, k, 1, true))
}

// flattenEncode: Flatten -> Dense(2F) -> LeakyReLU -> Dense(F) -> tanh.
func (a Arch) flattenEncode(b *builder, h *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	s := h.Shape()
	f := b.reshape(h, s[0], s[1]*s[2]*s[3])
	f = b.leaky(b.dense("enc.fc1", f, 2*a.Features))
	f = b.tanh(b.dense("enc.fc2", f, a.Features))
	return b.reshape(f, s[0], a.Features, 1, 1)
}

// decode builds D: z -> x' (B, C, H, W) in [-1, 1].
func (a Arch) decode(b *builder, z *G.Node) *G.Node {
	k, wd, cin := a.Kernel, a.Width, a.InShape[2]
	h := z
	if a.Factor == 0 {
		h = a.flattenDecode(b, z)
	}
	for i := range a.Blocks {
		h = b.convBlock(fmt.Sprintf("dec.in.%d", i), h, wd, k)
	}
	img := b.conv("dec.rgb0", h, cin, k, 1, true)
	for s := range a.Downscales() {
		h = b.up2(h)
		for i := range a.Blocks {
			h = b.convBlock(fmt.Sprintf("dec.up%d.block%d", s, i), h, wd, k)
		}
		img = b.add(b.up2(img), b.conv(fmt.Sprintf("dec.rgb%d", s+1), h, cin, k, 1, true))
	}
	return b.tanh(img)
}

// flattenDecode: Dense(2F) -> LeakyReLU -> Dense(Width*H*W) -> reshape.
func (a Arch) flattenDecode(b *builder, z *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	n := z.Shape()[0]
	h, w := a.InShape[0], a.InShape[1]
	f := b.reshape(z, n, a.Features)
	f = b.leaky(b.dense("dec.fc1", f, 2*a.Features))
	f = b.dense("dec.fc2", f, a.Width*h*w)
	return b.reshape(f, n, a.Width, h, w)
}

// mse is the mean squared error between two nodes of one shape.
func (b *builder) mse(x, y *G.Node) *G.Node {
	if b.err != nil {
		return nil
	}
	d := b.op(G.Sub(x, y))
	return b.op(G.Mean(b.op(G.Square(d))))
}
