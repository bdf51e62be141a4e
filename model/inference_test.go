package model

import (
	"testing"
)

// After training, inference mode (running batch-norm statistics) stays near
// the training loss on a training batch. This caught batch statistics read
// from a reused tape buffer (inference loss 0.47 against 0.014). Running and
// batch statistics differ (batches of 4), and trajectories differing in the
// last float bits end 2x apart after 400 steps, hence the loose bound.
func TestInferenceMatchesTraining(t *testing.T) {
	arch := tinyArch()
	data := images(8, 8, 8, 2, 1)
	tr, losses := train(t, arch, Hyper{LR: 3e-3, Beta1: 0.5, Beta2: 0.999, Batch: 4}, 1, data, 400)
	enc, _ := NewEncoder(arch, tr.Params, 4)
	dec, _ := NewDecoder(arch, tr.Params, 4)
	x := ToNCHW(data, 8, 8, 8, 2)[:4*128]
	z, _ := enc.Run(x)
	y, _ := dec.Run(z)
	var s float64
	for i := range x {
		d := float64(y[i] - x[i])
		s += d * d
	}
	trainLoss, inferLoss := losses[len(losses)-2], s/float64(len(x))
	t.Logf("train loss %.5f, inference loss on the same batch %.5f", trainLoss, inferLoss)
	if inferLoss > 10*trainLoss+0.01 {
		t.Fatalf("inference loss %.5f far above the training loss %.5f", inferLoss, trainLoss)
	}
}
