package model

import (
	"slices"
	"testing"

	"gorgonia.org/tensor"
)

// Nets built before training see the trainer's updates (they share Params).
func TestNetsSeeTrainingUpdates(t *testing.T) {
	arch := tinyArch()
	tr, err := NewTrainer(arch, Hyper{LR: 3e-3, Beta1: 0.5, Beta2: 0.999, Batch: 4}, NewParams(tensor.Float32, 1))
	if err != nil {
		t.Fatal(err)
	}
	early, err := NewEncoder(arch, tr.Params, 4)
	if err != nil {
		t.Fatal(err)
	}
	data := ToNCHW(images(4, 8, 8, 2, 1), 4, 8, 8, 2)
	for range 20 {
		if _, err := tr.Step(data); err != nil {
			t.Fatal(err)
		}
	}
	late, _ := NewEncoder(arch, tr.Params, 4)
	a, _ := early.Run(data)
	b, _ := late.Run(data)
	if !slices.Equal(a, b) {
		t.Fatalf("an encoder built before training gives other outputs than one built after (%v vs %v)", a[:3], b[:3])
	}
}
