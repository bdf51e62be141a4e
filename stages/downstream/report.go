package downstream

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"

	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/plot"
	"github.com/stackae/stackae/stages/train"
)

// Metrics is a downstream model's metrics.json.
type Metrics struct {
	Kind       string               `json:"kind"`
	Level      int                  `json:"level"`
	Data       string               `json:"data"`
	Model      string               `json:"model"`
	Downstream model.Downstream     `json:"downstream"`
	Hyper      model.Hyper          `json:"hyper"`
	Params     int                  `json:"params"`
	Steps      int                  `json:"steps"`
	Complete   bool                 `json:"complete"`
	RunID      string               `json:"run_id"`
	Version    string               `json:"stackae_version"`
	Epochs     []model.EpochMetrics `json:"epochs"`
	// SecPerBatch is the wall time of a training step and SecPerEpoch that
	// of an epoch's reading, decoding and training (no validation), per
	// epoch trained by this process (a resumed run reports only its own).
	SecPerBatch []float64 `json:"sec_per_batch"`
	SecPerEpoch []float64 `json:"sec_per_epoch"`
	// KT is BEGAN's k_t after the last step.
	KT float64 `json:"k_t,omitempty"`
	// Curve is the sampled batch loss; Curves the other step numbers.
	Curve  []model.StepLoss            `json:"curve"`
	Curves map[string][]model.StepLoss `json:"curves"`
}

func (r *run) writeReports(ctx context.Context) error {
	m := r.lp.Meta
	met := Metrics{Kind: r.d.Kind, Level: m.Level, Data: m.Data, Model: r.out.URL(), Downstream: r.d, Hyper: r.task.Hyper,
		Params: r.task.Params.Count(), Steps: r.task.Adam.Step, Complete: m.Complete, RunID: r.opts.RunID, Version: r.opts.Version,
		Epochs: m.History, SecPerBatch: r.lp.SecPerBatch, SecPerEpoch: r.lp.SecPerEpoch, KT: r.task.K, Curve: m.Curve, Curves: m.Curves}
	js, err := json.MarshalIndent(met, "", "  ")
	if err != nil {
		return err
	}
	if err := r.out.WriteAll(ctx, train.MetricsKey, append(js, '\n')); err != nil {
		return err
	}
	if err := r.writePNG(ctx, CurvesKey, curves(r.d.Kind, m)); err != nil {
		return err
	}
	if r.d.Kind == model.KindClassifier {
		return nil
	}
	if m.Level > 0 && r.opts.Stack == nil {
		r.opts.Log.Warn("no stack to decode encodings to pixels: no samples.png", "model", r.out.URL())
		return nil
	}
	c := r.lp.Checkpoint()
	samples, err := SampleGrid(c, r.opts.Stack, r.cfg.Samples, r.cfg.Seed)
	if err != nil {
		return fmt.Errorf("samples: %w", err)
	}
	if err := r.writePNG(ctx, SamplesKey, samples); err != nil {
		return err
	}
	recon, err := r.reconGrid(ctx, c)
	if err != nil || recon == nil {
		return err
	}
	return r.writePNG(ctx, ReconKey, recon)
}

func (r *run) writePNG(ctx context.Context, key string, img image.Image) error {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return r.out.WriteAll(ctx, key, buf.Bytes())
}

var palette = []color.RGBA{{40, 90, 200, 255}, {220, 60, 30, 255}, {30, 150, 60, 255}, {150, 60, 170, 255}}

// curves charts the loss (classifier, VAE: with validation; VAE: rec and
// KL), or BEGAN's M_global and k_t, one chart above the other.
func curves(kind string, m model.Meta) image.Image {
	series := func(name, key string, c color.RGBA) plot.Series {
		s := plot.Series{Name: name, Color: c}
		points := m.Curves[key]
		if key == "loss" {
			points = m.Curve
		}
		for _, p := range points {
			s.X, s.Y = append(s.X, float64(p.Step)), append(s.Y, p.Loss)
		}
		return s
	}
	val := plot.Series{Name: "validation", Color: palette[1]}
	for _, e := range m.History {
		if e.ValLoss >= 0 {
			val.X, val.Y = append(val.X, float64(e.Step)), append(val.Y, e.ValLoss)
		}
	}
	var charts []plot.Chart
	switch kind {
	case model.KindClassifier:
		charts = append(charts, plot.Chart{Title: "classifier cross-entropy on " + m.Data, XLabel: "batch", LogY: true,
			Series: []plot.Series{series("train (batch)", "loss", palette[0]), val}})
	case model.KindVAE:
		charts = append(charts, plot.Chart{Title: "VAE loss on " + m.Data, XLabel: "batch", LogY: true,
			Series: []plot.Series{series("rec + beta KL", "loss", palette[0]), series("rec", "rec", palette[2]), series("KL", "kl", palette[3])}})
	default:
		charts = append(charts,
			plot.Chart{Title: "BEGAN M_global on " + m.Data, XLabel: "batch", LogY: true, Series: []plot.Series{series("M_global", "m_global", palette[0])}},
			plot.Chart{Title: "BEGAN k_t", XLabel: "batch", Series: []plot.Series{series("k_t", "k", palette[1])}})
	}
	return stackImages(charts)
}

// stackImages draws charts one above the other.
func stackImages(charts []plot.Chart) image.Image {
	imgs := make([]*image.RGBA, len(charts))
	w, h := 0, 0
	for i, c := range charts {
		imgs[i] = c.Draw()
		w, h = max(w, imgs[i].Bounds().Dx()), h+imgs[i].Bounds().Dy()
	}
	out := image.NewRGBA(image.Rect(0, 0, w, h))
	y := 0
	for _, img := range imgs {
		draw.Draw(out, img.Bounds().Add(image.Pt(0, y)), img, img.Bounds().Min, draw.Src)
		y += img.Bounds().Dy()
	}
	return out
}
