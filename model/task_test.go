package model

import (
	"bytes"
	"math"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

func tinyDownstream(kind string, in [3]int) Downstream {
	return Downstream{Kind: kind, InShape: in, Width: 4, Hidden: 16, Kernel: 4, Classes: 2, Latent: 4, Beta: 1, Gamma: 0.5, LambdaK: 0.001}
}

// labelled makes n images whose label is whether the blob sits left or right.
func labelled(n int, in [3]int) ([]float32, []int32) {
	x := images(n, in[0], in[1], in[2], 5)
	size := in[0] * in[1] * in[2]
	labels := make([]int32, n)
	for i := range n {
		var left, right float32
		for p := range size {
			if (p/in[2])%in[1] < in[1]/2 {
				left += x[i*size+p]
			} else {
				right += x[i*size+p]
			}
		}
		if right > left {
			labels[i] = 1
		}
	}
	return ToNCHW(x, n, in[0], in[1], in[2]), labels
}

func runTask(t *testing.T, tk *Task, x []float32, labels []int32, from, to int) []Losses {
	t.Helper()
	size := len(x) / len(labels)
	n, batches := tk.Hyper.Batch, len(labels)/tk.Hyper.Batch
	var out []Losses
	for s := from; s < to; s++ {
		lo := (s % batches) * n
		l, err := tk.Step(x[lo*size:(lo+n)*size], labels[lo:lo+n])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	return out
}

// Each kind's loss falls on a tiny dataset, with conv and MLP bodies.
func TestTasksLearn(t *testing.T) {
	tests := []struct {
		kind  string
		in    [3]int
		steps int
		key   string
	}{
		{KindClassifier, [3]int{8, 8, 2}, 150, "loss"},
		{KindClassifier, [3]int{1, 1, 6}, 150, "loss"},
		{KindVAE, [3]int{8, 8, 2}, 200, "rec"},
		{KindVAE, [3]int{1, 1, 6}, 200, "rec"},
		{KindBEGAN, [3]int{8, 8, 2}, 200, "l_real"},
	}
	for _, tc := range tests {
		t.Run(tc.kind+"/"+shape3(tc.in), func(t *testing.T) {
			x, labels := labelled(16, tc.in)
			tk, err := NewTask(tinyDownstream(tc.kind, tc.in), Hyper{LR: 2e-3, Beta1: 0.5, Beta2: 0.999, Batch: 8}, 1, NewParams(tensor.Float32, 1))
			if err != nil {
				t.Fatal(err)
			}
			ls := runTask(t, tk, x, labels, 0, tc.steps)
			first, last := ls[0][tc.key], meanOf(ls[len(ls)-10:], tc.key)
			t.Logf("%s %s: %.4f -> %.4f", tc.kind, tc.key, first, last)
			if !(last < 0.7*first) || math.IsNaN(last) {
				t.Fatalf("%s fell from %.4f to %.4f; want below 0.7x", tc.key, first, last)
			}
			for _, l := range ls {
				if k, ok := l["k"]; ok && (k < 0 || k > 1) {
					t.Fatalf("k_t = %v outside [0, 1]", k)
				}
			}
		})
	}
}

func meanOf(ls []Losses, key string) float64 {
	var s float64
	for _, l := range ls {
		s += l[key]
	}
	return s / float64(len(ls))
}

// shape3 renders an HWC shape for test names.
func shape3(s [3]int) string {
	return string(rune('0'+s[0])) + "x" + string(rune('0'+s[1])) + "x" + string(rune('0'+s[2]))
}

func TestBEGANUpdate(t *testing.T) {
	tests := []struct {
		name                          string
		k, lambda, gamma, lReal, lFak float64
		wantK, wantM                  float64
	}{
		{"moves by lambda*(gamma*Lx - Lg)", 0.5, 0.1, 0.5, 0.4, 0.1, 0.5 + 0.1*(0.2-0.1), 0.4 + 0.1},
		{"negative balance lowers k", 0.5, 0.1, 0.5, 0.4, 0.3, 0.5 + 0.1*(0.2-0.3), 0.4 + 0.1},
		{"clipped at 0", 0.001, 1, 0.5, 0.1, 0.9, 0, 0.1 + 0.85},
		{"clipped at 1", 0.999, 1, 1, 0.9, 0.1, 1, 0.9 + 0.8},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k, m := BEGANUpdate(tc.k, tc.lambda, tc.gamma, tc.lReal, tc.lFak)
			if math.Abs(k-tc.wantK) > 1e-12 || math.Abs(m-tc.wantM) > 1e-12 {
				t.Fatalf("k %v m %v, want %v %v", k, m, tc.wantK, tc.wantM)
			}
		})
	}
}

// A task resumed from a checkpoint continues exactly as the uninterrupted
// run: weights, optimiser, noise stream and k_t.
func TestTaskResumeEqualsUninterrupted(t *testing.T) {
	for _, kind := range []string{KindClassifier, KindVAE, KindBEGAN} {
		t.Run(kind, func(t *testing.T) {
			in := [3]int{8, 8, 2}
			x, labels := labelled(16, in)
			hp := Hyper{LR: 1e-3, Beta1: 0.5, Beta2: 0.999, Batch: 8}
			d := tinyDownstream(kind, in)
			d.LambdaK = 0.5 // k_t moves visibly
			full, _ := NewTask(d, hp, 3, NewParams(tensor.Float32, 3))
			want := runTask(t, full, x, labels, 0, 6)
			half, _ := NewTask(d, hp, 3, NewParams(tensor.Float32, 3))
			runTask(t, half, x, labels, 0, 3)
			c, err := DecodeCheckpoint(bytes.NewReader(encode(t, half.Checkpoint(Meta{Level: 1}))))
			if err != nil {
				t.Fatal(err)
			}
			resumed, err := ResumeTask(c)
			if err != nil {
				t.Fatal(err)
			}
			got := runTask(t, resumed, x, labels, 3, 6)
			if got[2]["loss"] != want[5]["loss"] || resumed.K != full.K {
				t.Fatalf("resumed loss %v k %v, uninterrupted %v k %v", got[2]["loss"], resumed.K, want[5]["loss"], full.K)
			}
		})
	}
}

// Samplers emit encodings of the model's input shape.
func TestSamplerShapes(t *testing.T) {
	for _, kind := range []string{KindVAE, KindBEGAN} {
		d := tinyDownstream(kind, [3]int{8, 8, 2})
		p := NewParams(tensor.Float32, 1)
		if _, err := NewTask(d, Hyper{LR: 1e-3, Beta1: 0.5, Beta2: 0.999, Batch: 2}, 1, p); err != nil {
			t.Fatal(err)
		}
		s, err := NewSampler(d, p, 3)
		if err != nil {
			t.Fatal(err)
		}
		out, err := s.Run(make([]float32, 2*d.Latent))
		if err != nil {
			t.Fatal(err)
		}
		if len(out) != 2*8*8*2 || slices.ContainsFunc(out, func(v float32) bool { return v < -1 || v > 1 }) {
			t.Fatalf("%s: %d values, want %d in [-1, 1]", kind, len(out), 2*8*8*2)
		}
	}
}

func TestDownstreamValidate(t *testing.T) {
	ok := tinyDownstream(KindClassifier, [3]int{8, 8, 2})
	tests := []struct {
		name string
		mod  func(*Downstream)
		want string
	}{
		{"kind", func(d *Downstream) { d.Kind = "gan" }, "downstream.kind"},
		{"classes", func(d *Downstream) { d.Classes = 1 }, "downstream.classes"},
		{"latent", func(d *Downstream) { d.Kind, d.Latent = KindVAE, 0 }, "downstream.latent"},
		{"gamma", func(d *Downstream) { d.Kind, d.Gamma = KindBEGAN, 0 }, "gamma"},
		{"kernel", func(d *Downstream) { d.Kernel = 3 }, "downstream.kernel"},
	}
	if err := ok.Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		d := ok
		tc.mod(&d)
		if err := d.Validate(); err == nil || !bytes.Contains([]byte(err.Error()), []byte(tc.want)) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestOneHotRejectsBadLabels(t *testing.T) {
	if _, err := OneHot([]int32{0, 3}, 3); err == nil {
		t.Fatal("label 3 of 3 classes accepted")
	}
	got, err := OneHot([]int32{2, 0}, 3)
	if err != nil || !slices.Equal(got, []float32{0, 0, 1, 1, 0, 0}) {
		t.Fatalf("%v %v", got, err)
	}
}

// The fused cross-entropy matches its definition and its gradient matches
// central differences.
func TestCrossEntropyGradient(t *testing.T) {
	logits := []float64{0.5, -1, 2, 0.1, 3, 3, -2, 0, 1, -0.5, 0.25, 4}
	target := []float64{0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1}
	lt := func(v []float64) *tensor.Dense { return tensor.New(tensor.WithShape(3, 4), tensor.WithBacking(v)) }
	loss := func(v []float64) float64 {
		out, err := xentOp{}.Do(lt(v), lt(target))
		if err != nil {
			t.Fatal(err)
		}
		return scalarOf(out)
	}
	var want float64
	for r := range 3 {
		row := logits[r*4 : r*4+4]
		var z float64
		for _, v := range row {
			z += math.Exp(v)
		}
		for k, v := range row {
			want -= target[r*4+k] * (v - math.Log(z)) / 3
		}
	}
	if got := loss(logits); math.Abs(got-want) > 1e-12 {
		t.Fatalf("loss %v, want %v", got, want)
	}
	g, err := xentOp{grad: true}.Do(lt(logits), lt(target), G.NewF64(2))
	if err != nil {
		t.Fatal(err)
	}
	ana := g.Data().([]float64)
	for i := range logits {
		v := slices.Clone(logits)
		v[i] += 1e-6
		up := loss(v)
		v[i] -= 2e-6
		num := 2 * (up - loss(v)) / 2e-6
		if math.Abs(num-ana[i]) > 1e-6 {
			t.Errorf("d/dlogit %d: analytic %v, numeric %v", i, ana[i], num)
		}
	}
}
