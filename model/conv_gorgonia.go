//go:build !dnnl

package model

import G "gorgonia.org/gorgonia"

// FastConv reports whether convolutions run on oneDNN (build tag dnnl).
const FastConv = false

// dnnlConv is unavailable without the dnnl build tag.
func (b *builder) dnnlConv(x, w *G.Node, stride int, pad [4]int) (*G.Node, bool) { return nil, false }

// TuneRuntime does nothing in the pure-Go build.
func TuneRuntime() {}
