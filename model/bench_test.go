package model

import (
	"testing"

	"gorgonia.org/tensor"
)

// BenchmarkReferenceStep is one training step of the reference level:
// 64x64x3 -> 8x8x32, width 32, 4x4 convs, batch 32 (go test -tags dnnl for
// the oneDNN path).
func BenchmarkReferenceStep(b *testing.B) {
	arch := Arch{InShape: [3]int{64, 64, 3}, Factor: 8, Features: 32, Width: 32, Blocks: 1, Kernel: 4}
	tr, err := NewTrainer(arch, Hyper{LR: 1e-4, Beta1: 0.5, Beta2: 0.999, Batch: 32}, NewParams(tensor.Float32, 1))
	if err != nil {
		b.Fatal(err)
	}
	x := ToNCHW(images(32, 64, 64, 3, 1), 32, 64, 64, 3)
	if _, err := tr.Step(x); err != nil { // warm-up: primitive creation
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := tr.Step(x); err != nil {
			b.Fatal(err)
		}
	}
}
