package model

import (
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// Per channel, the fused op's output has mean beta and standard deviation
// gamma, and it reports the batch's own mean and variance.
func TestFusedBatchNormNormalises(t *testing.T) {
	p := NewParams(tensor.Float64, 3)
	b := newBuilder(p, true)
	x := b.param("x", tensor.Shape{3, 2, 4, 5}, initNormal, true)
	xs := p.Tensor("x").Data().([]float64)
	for i := range xs {
		xs[i] = xs[i]*100 + float64(i%2)*3 // channel offsets and spread
	}
	y := b.batchNorm("bn", x)
	gamma, beta := p.Tensor("bn.gamma").Data().([]float64), p.Tensor("bn.beta").Data().([]float64)
	gamma[0], gamma[1], beta[0], beta[1] = 2, 0.5, -1, 3
	var yv G.Value
	G.Read(y, &yv)
	vm := G.NewTapeMachine(b.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	out := yv.Data().([]float64)
	for ch := range 2 {
		var s, sq float64
		g := bnGeom{n: 3, c: 2, hw: 20}
		g.each(ch, func(off int) {
			for _, v := range out[off : off+20] {
				s += v
				sq += v * v
			}
		})
		mean := s / 60
		std := math.Sqrt(sq/60 - mean*mean)
		if math.Abs(mean-beta[ch]) > 1e-9 || math.Abs(std-gamma[ch]) > 1e-3 {
			t.Fatalf("channel %d: mean %v std %v; want %v, %v", ch, mean, std, beta[ch], gamma[ch])
		}
		if b.stats[0].buf.variance[ch] <= 0 {
			t.Fatalf("batch variance not reported")
		}
	}
}

// Inference batch norm is gamma*(x-mean)/sqrt(var+eps)+beta per channel,
// with the running statistics.
func TestInferenceBatchNorm(t *testing.T) {
	p := NewParams(tensor.Float64, 5)
	b := newBuilder(p, false)
	x := b.param("x", tensor.Shape{2, 3, 2, 2}, initNormal, false)
	y := b.batchNorm("bn", x)
	if b.err != nil {
		t.Fatal(b.err)
	}
	for ch := range 3 {
		p.Tensor("bn.gamma").Data().([]float64)[ch] = 1 + float64(ch)
		p.Tensor("bn.beta").Data().([]float64)[ch] = -float64(ch)
		p.Tensor("bn.running_mean").Data().([]float64)[ch] = 0.5 * float64(ch)
		p.Tensor("bn.running_var").Data().([]float64)[ch] = 2 + float64(ch)
	}
	var yv G.Value
	G.Read(y, &yv)
	vm := G.NewTapeMachine(b.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	xs, out := p.Tensor("x").Data().([]float64), yv.Data().([]float64)
	for i, v := range xs {
		ch := (i / 4) % 3
		want := (1+float64(ch))*(v-0.5*float64(ch))/math.Sqrt(2+float64(ch)+bnEpsilon) - float64(ch)
		if math.Abs(out[i]-want) > 1e-12 {
			t.Fatalf("element %d (channel %d): %v, want %v", i, ch, out[i], want)
		}
	}
}

// The fused inference batch norm + LeakyReLU equals the two ops one after
// the other, bit for bit in float32.
func TestFusedInferenceLeaky(t *testing.T) {
	p := NewParams(tensor.Float32, 6)
	b := newBuilder(p, false)
	x := b.param("x", tensor.Shape{2, 3, 4, 4}, initNormal, false)
	for i := range p.Tensor("x").Data().([]float32) {
		p.Tensor("x").Data().([]float32)[i] *= 50
	}
	fused := b.bnLeaky("bn", x)
	apart := b.leaky(b.batchNorm("bn", x))
	if b.err != nil {
		t.Fatal(b.err)
	}
	for ch := range 3 {
		p.Tensor("bn.running_mean").Data().([]float32)[ch] = 0.3 * float32(ch)
		p.Tensor("bn.running_var").Data().([]float32)[ch] = 0.5 + float32(ch)
		p.Tensor("bn.beta").Data().([]float32)[ch] = -0.2
	}
	var fv, av G.Value
	G.Read(fused, &fv)
	G.Read(apart, &av)
	vm := G.NewTapeMachine(b.g)
	defer vm.Close()
	if err := vm.RunAll(); err != nil {
		t.Fatal(err)
	}
	f, a := fv.Data().([]float32), av.Data().([]float32)
	neg := 0
	for i := range f {
		if f[i] != a[i] {
			t.Fatalf("element %d: fused %v, separate %v", i, f[i], a[i])
		}
		if f[i] < 0 {
			neg++
		}
	}
	if neg == 0 || neg == len(f) {
		t.Fatalf("%d of %d negative: the test does not exercise both slopes", neg, len(f))
	}
}
