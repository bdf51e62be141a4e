// Package pipeline runs a plan of stages in order. Each stage commits one
// output; a stage whose output is already committed with the same lineage
// reports so (done) and is skipped, so a second run does no work and a run
// killed anywhere continues where it stopped.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
)

// Stage is one step: a name, the URL it commits, and the work.
type Stage struct {
	// ID names the stage in `stackae run --stage ID` and in rendered
	// workflows (lower case, digits and '-').
	ID     string
	Name   string
	Output string
	// After lists the IDs of the stages whose outputs this one reads.
	After []string
	// Run does the stage's work; an error for which Plan.Done is true means
	// the output was already committed.
	Run func(ctx context.Context) error
	// RunShard, when set, does part i of n of the work, or with finalize
	// commits the n parts (the stage can be fanned out).
	RunShard func(ctx context.Context, i, n int, finalize bool) error
	// Explain, when set, tells without working what Run would do with the
	// inputs as they are ("run", "skip", "refuse") and why.
	Explain func(ctx context.Context) (state, why string)
}

// Plan is stages in dependency order.
type Plan struct {
	Stages []Stage
	// Done tells "already committed" errors from failures.
	Done func(error) bool
	Log  *slog.Logger
}

// Result is what happened to one stage.
type Result struct {
	Stage   string  `json:"stage"`
	Output  string  `json:"output"`
	Skipped bool    `json:"skipped"`
	Seconds float64 `json:"seconds"`
}

// Run executes the plan, stopping at the first failure.
func (p Plan) Run(ctx context.Context) ([]Result, error) {
	log := p.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var results []Result
	for i, s := range p.Stages {
		if err := ctx.Err(); err != nil {
			return results, err
		}
		log.Info("stage", "n", fmt.Sprintf("%d/%d", i+1, len(p.Stages)), "stage", s.Name, "output", s.Output)
		start := time.Now()
		err := s.Run(ctx)
		r := Result{Stage: s.Name, Output: s.Output, Seconds: time.Since(start).Seconds()}
		switch {
		case err != nil && p.Done != nil && p.Done(err):
			r.Skipped = true
			log.Info("stage skipped: already committed", "stage", s.Name)
		case err != nil:
			return results, fmt.Errorf("stage %q: %w", s.Name, err)
		}
		results = append(results, r)
	}
	return results, nil
}

// Stage returns the stage called id.
func (p Plan) Stage(id string) (Stage, error) {
	var ids []string
	for _, s := range p.Stages {
		if s.ID == id {
			return s, nil
		}
		ids = append(ids, s.ID)
	}
	return Stage{}, fmt.Errorf("no stage %q in this pipeline (stages: %s)", id, strings.Join(ids, ", "))
}

// RunOne runs one stage (part i of n of a sharded one, or its finalize),
// treating an already committed output as done.
func (p Plan) RunOne(ctx context.Context, s Stage, i, n int, finalize bool) (Result, error) {
	start := time.Now()
	var err error
	switch {
	case n > 1 || finalize:
		if s.RunShard == nil {
			return Result{}, fmt.Errorf("stage %q cannot be split into parts", s.ID)
		}
		err = s.RunShard(ctx, i, n, finalize)
	default:
		err = s.Run(ctx)
	}
	r := Result{Stage: s.Name, Output: s.Output, Seconds: time.Since(start).Seconds()}
	switch {
	case err != nil && p.Done != nil && p.Done(err):
		r.Skipped = true
	case err != nil:
		return r, fmt.Errorf("stage %q: %w", s.ID, err)
	}
	return r, nil
}
