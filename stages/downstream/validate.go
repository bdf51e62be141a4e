package downstream

import (
	"context"
	"math"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
)

// validate scores the validation split (up to ValBatches batches): the
// classifier's cross-entropy and accuracy, the VAE's reconstruction MSE at
// the posterior mean, BEGAN's L(x) = mean |x - D(x)|.
func (r *run) validate(ctx context.Context) (float64, map[string]float64, error) {
	extra := map[string]float64{}
	m := r.data.Manifest
	if m.Splits[dataset.Validation] == 0 {
		return -1, extra, nil
	}
	net, err := r.valNet()
	if err != nil {
		return 0, nil, err
	}
	var sum, correct float64
	var rows, values int
	batches := 0
	for b, err := range r.data.Scan(ctx, dataset.ScanOptions{Split: dataset.Validation, BatchSize: r.cfg.Batch}) {
		if err != nil {
			return 0, nil, err
		}
		if err := r.checkLabels(b); err != nil {
			return 0, nil, err
		}
		x := model.ToNCHW(b.Float32(m.Scale, m.Offset), b.Len(), m.Shape[0], m.Shape[1], m.Shape[2])
		out, err := net.Run(x)
		if err != nil {
			return 0, nil, err
		}
		if r.d.Kind == model.KindClassifier {
			s, c := scoreLogits(out, b.Labels, r.d.Classes)
			sum, correct = sum+s, correct+c
		} else {
			sum += reconError(out, x, r.d.Kind == model.KindBEGAN)
		}
		rows, values = rows+b.Len(), values+len(x)
		if batches++; r.cfg.ValBatches > 0 && batches >= r.cfg.ValBatches {
			break
		}
	}
	if r.d.Kind == model.KindClassifier {
		extra["val_accuracy"] = correct / float64(max(1, rows))
		return sum / float64(max(1, rows)), extra, nil
	}
	return sum / float64(max(1, values)), extra, nil
}

func (r *run) valNet() (*model.Net, error) {
	if r.d.Kind == model.KindClassifier {
		return model.NewClassifierNet(r.d, r.task.Params, r.cfg.Batch)
	}
	return model.NewReconstructor(r.d, r.task.Params, r.cfg.Batch)
}

// scoreLogits returns the summed cross-entropy and the number of rows whose
// arg-max logit is the label.
func scoreLogits(logits []float32, labels []int32, k int) (xent, correct float64) {
	for i, l := range labels {
		row := logits[i*k : (i+1)*k]
		best, mx := 0, math.Inf(-1)
		for j, v := range row {
			if float64(v) > mx {
				best, mx = j, float64(v)
			}
		}
		var z float64
		for _, v := range row {
			z += math.Exp(float64(v) - mx)
		}
		xent += mx + math.Log(z) - float64(row[l])
		if best == int(l) {
			correct++
		}
	}
	return xent, correct
}

// reconError is the summed squared (or, l1, absolute) error.
func reconError(out, x []float32, l1 bool) float64 {
	var s float64
	for i, v := range out {
		d := float64(v - x[i])
		if l1 {
			s += math.Abs(d)
		} else {
			s += d * d
		}
	}
	return s
}
