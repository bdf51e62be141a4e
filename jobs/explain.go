package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/pipeline"
	"github.com/stackae/stackae/stages/ingest"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

// A stage's verdict in `run --explain`.
const (
	willRun  = "run"
	willSkip = "skip"
	willFail = "refuse" // its output holds other work: run fails without --overwrite
	blocked  = "never"  // an input refuses, so the run stops before this stage
)

// verdict is what a run would do with one stage, and why.
type verdict struct{ state, why string }

// explain decides every stage in order: a stage whose input stage runs
// runs too; otherwise its own check compares what is committed at its
// output with what it would make (input manifests' and checkpoints'
// sha256, its config section's hash).
func explain(ctx context.Context, w io.Writer, p pipeline.Plan) {
	states := map[string]string{}
	for _, s := range p.Stages {
		v := verdict{willRun, "no check"}
		for _, a := range s.After {
			switch states[a] {
			case willFail, blocked:
				v = verdict{blocked, fmt.Sprintf("its input %s refuses, so the run stops before it", a)}
			case willRun:
				v = verdict{willRun, fmt.Sprintf("its input %s will be (re)built", a)}
			default:
				continue
			}
			break
		}
		if v.why == "no check" && s.Explain != nil {
			v.state, v.why = s.Explain(ctx)
		}
		states[s.ID] = v.state
		fmt.Fprintf(w, "%-30s %-6s %s\n", s.ID, v.state, v.why)
	}
}

// versionNote flags outputs made by another stackae version: they are kept
// (a version is not an input: upgrading does not retrain a stack).
func versionNote(made string) string {
	if made != "" && made != Version() {
		return fmt.Sprintf(" (made by stackae %s, this is %s)", made, Version())
	}
	return ""
}

// committedSHA is the manifest sha256 of the dataset at url ("" if none).
func (e *env) committedSHA(ctx context.Context, url string) (*dataset.Dataset, string) {
	d, closeData, err := e.openDataset(ctx, url)
	if err != nil {
		return nil, ""
	}
	closeData()
	return d, d.ManifestSHA256
}

// trainedModel is the committed model at url (nil if none).
func (e *env) trainedModel(ctx context.Context, url string) *train.Model {
	b, err := e.open(ctx, url)
	if err != nil {
		return nil
	}
	defer b.Close()
	m, err := train.LoadModel(ctx, b)
	if err != nil {
		return nil
	}
	return m
}

func (e *env) explainIngest(ctx context.Context, cfg ingest.Config, url string) (string, string) {
	d, _ := e.committedSHA(ctx, url)
	if d == nil {
		return willRun, "no dataset at " + url
	}
	tmpl, err := ingest.Template(ctx, cfg, url, ingest.Options{})
	if err != nil {
		return willRun, "cannot compare with the input: " + err.Error()
	}
	l := d.Manifest.Lineage
	if l.Identity() == tmpl.Lineage.Identity() {
		return willSkip, fmt.Sprintf("committed by run %s from the same input and settings%s", l.RunID, versionNote(l.StackaeVersion))
	}
	return willFail, fmt.Sprintf("%s holds a dataset of other input or settings (run %s)", url, l.RunID)
}

// explainModel compares a committed model (level or downstream) with the
// data it would train on and its config hash.
func (e *env) explainModel(ctx context.Context, dataURL, modelURL, configHash string) (string, string) {
	m := e.trainedModel(ctx, modelURL)
	if m == nil {
		if ok, _ := e.exists(ctx, modelURL, train.ProgressKey); ok {
			return willRun, "resumes from its progress checkpoint"
		}
		return willRun, "no trained model at " + modelURL
	}
	_, sha := e.committedSHA(ctx, dataURL)
	switch {
	case m.Meta.DataSHA256 == sha && m.Meta.ConfigHash == configHash:
		return willSkip, fmt.Sprintf("trained %d steps on this very data with these settings%s", m.Meta.Step, versionNote(m.Meta.Version))
	case m.Meta.DataSHA256 != sha:
		return willFail, fmt.Sprintf("the model was trained on other data (manifest %.12s, now %.12s)", m.Meta.DataSHA256, sha)
	}
	return willFail, fmt.Sprintf("the model was trained with other settings (config %.12s, now %.12s)", m.Meta.ConfigHash, configHash)
}

func (e *env) explainEncode(ctx context.Context, dataURL, modelURL, outURL, configHash string) (string, string) {
	out, _ := e.committedSHA(ctx, outURL)
	if out == nil {
		return willRun, "no dataset at " + outURL
	}
	_, sha := e.committedSHA(ctx, dataURL)
	m := e.trainedModel(ctx, modelURL)
	l := out.Manifest.Lineage
	switch {
	case m == nil || l.Model == nil || l.Source == nil:
		return willFail, "the encodings name no model that is there"
	case l.Source.SHA256 == sha && l.Model.SHA256 == m.SHA256 && l.ConfigHash == configHash:
		return willSkip, fmt.Sprintf("committed by run %s from this data and model%s", l.RunID, versionNote(l.StackaeVersion))
	}
	return willFail, fmt.Sprintf("%s holds encodings of another input, model or settings (run %s)", outURL, l.RunID)
}

func (e *env) exists(ctx context.Context, url, key string) (bool, error) {
	b, err := e.open(ctx, url)
	if err != nil {
		return false, err
	}
	defer b.Close()
	ok, err := b.Exists(ctx, key)
	if errors.Is(err, storage.ErrNotFound) {
		return false, nil
	}
	return ok, err
}
