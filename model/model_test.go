package model

import (
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// images makes n smooth HWC test images in [-1, 1] (blobs at random spots).
func images(n, h, w, c int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 9))
	out := make([]float32, 0, n*h*w*c)
	for range n {
		cy, cx, r := rng.Float64()*float64(h), rng.Float64()*float64(w), 1+rng.Float64()*float64(h)/3
		for y := range h {
			for x := range w {
				d := math.Hypot(float64(y)-cy, float64(x)-cx)
				for ch := range c {
					out = append(out, float32(math.Tanh((r-d)*(1+float64(ch)))))
				}
			}
		}
	}
	return out
}

func tinyArch() Arch {
	return Arch{InShape: [3]int{8, 8, 2}, Factor: 2, Features: 4, Width: 6, Blocks: 1, Kernel: 4}
}

func train(t *testing.T, arch Arch, hp Hyper, seed uint64, data []float32, steps int) (*Trainer, []float64) {
	t.Helper()
	tr, err := NewTrainer(arch, hp, NewParams(tensor.Float32, seed))
	if err != nil {
		t.Fatal(err)
	}
	in := arch.InShape
	size := in[0] * in[1] * in[2]
	nchw := ToNCHW(data, len(data)/size, in[0], in[1], in[2])
	var losses []float64
	batches := len(data) / size / hp.Batch
	for s := range steps {
		lo := (s % batches) * hp.Batch * size
		loss, err := tr.Step(nchw[lo : lo+hp.Batch*size])
		if err != nil {
			t.Fatal(err)
		}
		losses = append(losses, loss)
	}
	return tr, losses
}

func TestTinyLevelOverfits(t *testing.T) {
	for _, arch := range []Arch{tinyArch(), {InShape: [3]int{4, 4, 1}, Factor: 0, Features: 3, Width: 4, Blocks: 1, Kernel: 4}} {
		in := arch.InShape
		data := images(8, in[0], in[1], in[2], 1)
		hp := Hyper{LR: 3e-3, Beta1: 0.5, Beta2: 0.999, Batch: 4}
		_, losses := train(t, arch, hp, 1, data, 400)
		first, last := losses[0], slices.Min(losses[len(losses)-20:])
		t.Logf("factor %d: loss %.4f -> %.4f", arch.Factor, first, last)
		if !(last < first/10) {
			t.Fatalf("factor %d: loss fell from %.4f to %.4f; want 10x", arch.Factor, first, last)
		}
	}
}

func TestTrainingIsDeterministic(t *testing.T) {
	data := images(8, 8, 8, 2, 2)
	hp := Hyper{LR: 1e-3, Beta1: 0.5, Beta2: 0.999, Batch: 4}
	a, la := train(t, tinyArch(), hp, 5, data, 6)
	b, lb := train(t, tinyArch(), hp, 5, data, 6)
	c, _ := train(t, tinyArch(), hp, 6, data, 6)
	if !slices.Equal(la, lb) {
		t.Fatalf("losses differ: %v vs %v", la, lb)
	}
	for _, name := range a.Params.Names() {
		if !slices.Equal(a.Params.Float32(name), b.Params.Float32(name)) {
			t.Fatalf("%s differs between identical runs", name)
		}
	}
	if slices.Equal(a.Params.Float32("enc.out.w"), c.Params.Float32("enc.out.w")) {
		t.Fatal("another seed gave the same weights")
	}
}

func TestEncoderDecoderNets(t *testing.T) {
	arch := tinyArch()
	data := images(8, 8, 8, 2, 3)
	tr, _ := train(t, arch, Hyper{LR: 3e-3, Beta1: 0.5, Beta2: 0.999, Batch: 4}, 1, data, 50)
	enc, err := NewEncoder(arch, tr.Params, 4)
	if err != nil {
		t.Fatal(err)
	}
	dec, err := NewDecoder(arch, tr.Params, 4)
	if err != nil {
		t.Fatal(err)
	}
	nchw := ToNCHW(data, 8, 8, 8, 2)
	full, err := enc.Run(nchw[:4*128])
	if err != nil {
		t.Fatal(err)
	}
	if len(full) != 4*4*4*4 {
		t.Fatalf("encoding of %d values; want 4 rows of 4x4x4", len(full))
	}
	for _, v := range full {
		if v < -1 || v > 1 {
			t.Fatalf("encoding value %v outside tanh range", v)
		}
	}
	// One row alone (padded batch) encodes exactly as within a full batch.
	one, err := enc.Run(nchw[128 : 2*128])
	if err != nil || !slices.Equal(one, full[64:128]) {
		t.Fatalf("padded single row differs from its full-batch encoding (%v)", err)
	}
	rec, err := dec.Run(full)
	if err != nil || len(rec) != 4*128 {
		t.Fatalf("decode: %d values, %v", len(rec), err)
	}
	if _, err := enc.Run(nchw[:5*128]); err == nil {
		t.Fatal("a batch larger than the net's was accepted")
	}
}

func TestLayoutRoundTrip(t *testing.T) {
	hwc := images(3, 5, 4, 3, 4)
	nchw := ToNCHW(hwc, 3, 5, 4, 3)
	// pixel (y=2, x=1, c=2) of image 1
	if nchw[1*60+(2*5+2)*4+1] != hwc[1*60+(2*4+1)*3+2] {
		t.Fatal("ToNCHW misplaces elements")
	}
	if !slices.Equal(ToHWC(nchw, 3, 5, 4, 3), hwc) {
		t.Fatal("ToHWC(ToNCHW(x)) != x")
	}
}

func TestValidate(t *testing.T) {
	ok := tinyArch()
	tests := []struct {
		edit func(*Arch)
		want string
	}{
		{func(a *Arch) { a.Factor = 3 }, "model.factor: 3"},
		{func(a *Arch) { a.Factor = 16 }, "does not divide"},
		{func(a *Arch) { a.Features = 0 }, "model.features"},
		{func(a *Arch) { a.Width = 0 }, "model.width"},
		{func(a *Arch) { a.Kernel = 3 }, "model.kernel"},
		{func(a *Arch) { a.InShape = [3]int{0, 8, 1} }, "input shape"},
	}
	for _, tc := range tests {
		a := ok
		tc.edit(&a)
		if err := a.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate = %v; want %q", err, tc.want)
		}
	}
	for _, h := range []Hyper{{LR: 0, Batch: 1}, {LR: -1, Batch: 1}, {LR: 1e-4, Batch: 0}, {LR: 1e-4, Beta1: 1, Batch: 1}} {
		if err := h.Validate(); err == nil {
			t.Errorf("Hyper %+v accepted", h)
		}
	}
	if got := (Arch{InShape: [3]int{64, 64, 3}, Factor: 8, Features: 32}).CodeShape(); got != [3]int{8, 8, 32} {
		t.Errorf("CodeShape = %v", got)
	}
}
