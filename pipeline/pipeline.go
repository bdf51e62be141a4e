// Package pipeline runs a plan of stages in order. Each stage commits one
// output; a stage whose output is already committed with the same lineage
// reports so (done) and is skipped, so a second run does no work and a run
// killed anywhere continues where it stopped.
package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// Stage is one step: a name, the URL it commits, and the work.
type Stage struct {
	Name   string
	Output string
	// Run does the stage's work; an error for which Plan.Done is true means
	// the output was already committed.
	Run func(ctx context.Context) error
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
