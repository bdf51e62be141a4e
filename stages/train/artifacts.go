package train

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"image/png"

	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/plot"
)

// Metrics is metrics.json.
type Metrics struct {
	Level    int                  `json:"level"`
	Data     string               `json:"data"`
	Model    string               `json:"model"`
	Arch     model.Arch           `json:"arch"`
	Hyper    model.Hyper          `json:"hyper"`
	Params   int                  `json:"params"`
	Steps    int                  `json:"steps"`
	Complete bool                 `json:"complete"`
	RunID    string               `json:"run_id"`
	Version  string               `json:"stackae_version"`
	Epochs   []model.EpochMetrics `json:"epochs"`
	// SecPerBatch is the mean wall time of a training batch, per epoch
	// trained by this process (a resumed run reports only its own epochs).
	SecPerBatch []float64        `json:"sec_per_batch"`
	Curve       []model.StepLoss `json:"curve"`
}

func (r *run) writeReports(ctx context.Context) error {
	m := r.lp.Meta
	met := Metrics{Level: m.Level, Data: m.Data, Model: r.out.URL(), Arch: r.arch, Hyper: r.tr.Hyper,
		Params: r.tr.Params.Count(), Steps: r.tr.Adam.Step, Complete: m.Complete, RunID: r.opts.RunID,
		Version: r.opts.Version, Epochs: m.History, SecPerBatch: r.lp.SecPerBatch, Curve: m.Curve}
	js, err := json.MarshalIndent(met, "", "  ")
	if err != nil {
		return err
	}
	if err := r.out.WriteAll(ctx, MetricsKey, append(js, '\n')); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, lossChart(m).Draw()); err != nil {
		return err
	}
	return r.out.WriteAll(ctx, LossPlotKey, buf.Bytes())
}

func lossChart(m model.Meta) plot.Chart {
	train := plot.Series{Name: "train (batch)", Color: color.RGBA{40, 90, 200, 255}}
	for _, p := range m.Curve {
		train.X, train.Y = append(train.X, float64(p.Step)), append(train.Y, p.Loss)
	}
	val := plot.Series{Name: "validation", Color: color.RGBA{220, 60, 30, 255}}
	for _, e := range m.History {
		if e.ValLoss >= 0 {
			val.X, val.Y = append(val.X, float64(e.Step)), append(val.Y, e.ValLoss)
		}
	}
	return plot.Chart{Title: fmt.Sprintf("level %d loss (MSE) on %s", m.Level, m.Data), XLabel: "batch", LogY: true, Series: []plot.Series{train, val}}
}
