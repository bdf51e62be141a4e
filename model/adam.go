package model

import (
	"math"

	"gorgonia.org/tensor"
)

// Adam is the Adam optimiser over a Params' trainable tensors. Its moments
// are plain slices so that checkpoints can carry them and a resumed run
// continues bit for bit.
type Adam struct {
	LR, Beta1, Beta2, Epsilon float64
	// Step counts updates made (for bias correction).
	Step int
	// M and V are the first and second moments per parameter name.
	M, V map[string][]float64
}

// NewAdam returns an optimiser with zero moments.
func NewAdam(lr, beta1, beta2 float64) *Adam {
	return &Adam{LR: lr, Beta1: beta1, Beta2: beta2, Epsilon: 1e-8, M: map[string][]float64{}, V: map[string][]float64{}}
}

// Update applies one step given the gradient of each named parameter.
func (a *Adam) Update(p *Params, grads map[string]*tensor.Dense, names []string) {
	a.Step++
	c1 := 1 - math.Pow(a.Beta1, float64(a.Step))
	c2 := 1 - math.Pow(a.Beta2, float64(a.Step))
	for _, name := range names {
		t := p.Tensor(name)
		n := t.Shape().TotalSize()
		if a.M[name] == nil {
			a.M[name], a.V[name] = make([]float64, n), make([]float64, n)
		}
		switch w := t.Data().(type) {
		case []float32:
			adamStep(w, grads[name].Data().([]float32), a.M[name], a.V[name], a, c1, c2)
		case []float64:
			adamStep(w, grads[name].Data().([]float64), a.M[name], a.V[name], a, c1, c2)
		}
	}
}

func adamStep[T float32 | float64](w, g []T, m, v []float64, a *Adam, c1, c2 float64) {
	for i := range w {
		gi := float64(g[i])
		m[i] = a.Beta1*m[i] + (1-a.Beta1)*gi
		v[i] = a.Beta2*v[i] + (1-a.Beta2)*gi*gi
		w[i] -= T(a.LR * (m[i] / c1) / (math.Sqrt(v[i]/c2) + a.Epsilon))
	}
}
