package model

import (
	"fmt"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// The tape writes LeakyReLU and its gradient over dead inputs
// (OverwritesInput + ReturnsPtr): most LeakyReLU gradients overwrite their
// dy (not where a residual branch still reads it) and forwards their input. Without it a training step's peak
// memory was ~1.5x higher (make bench).
func TestTapeWritesLeakyInPlace(t *testing.T) {
	tr, err := NewTrainer(tinyArch(), Hyper{LR: 1e-3, Beta1: 0.9, Beta2: 0.999, Batch: 2}, NewParams(tensor.Float32, 1))
	if err != nil {
		t.Fatal(err)
	}
	prog, _, err := G.Compile(tr.b.g)
	if err != nil {
		t.Fatal(err)
	}
	var grads, gradsInPlace, fwdInPlace int
	for _, line := range strings.Split(fmt.Sprint(prog), "\n") {
		f := strings.Split(strings.TrimSpace(line), "\t")
		if len(f) < 4 || !strings.HasPrefix(f[1], "leaky{") {
			continue
		}
		reads := strings.Fields(strings.Trim(f[2], "[]"))
		grad := strings.HasSuffix(f[1], "true}")
		if grad {
			grads++
		}
		switch {
		case grad && len(reads) == 2 && reads[1] == f[3]:
			gradsInPlace++
		case !grad && len(reads) == 1 && reads[0] == f[3]:
			fwdInPlace++
		}
	}
	if grads == 0 || 4*gradsInPlace < 3*grads || fwdInPlace == 0 {
		t.Fatalf("%d of %d LeakyReLU gradients and %d forwards write in place; program:\n%s", gradsInPlace, grads, fwdInPlace, prog)
	}
}
