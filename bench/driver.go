package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
)

type options struct {
	rounds, steps1, steps2, rows int
	python, stackae, md, keep    string
	noS3, encodeOnly             bool
}

// side is every measurement of one implementation at one task.
type side struct {
	times []float64 // seconds per step, all processes
	rss   []int64   // peak RSS per process
	rate  []float64 // images/s per process
}

func (s *side) add(r result) {
	s.times = append(s.times, r.Times...)
	s.rss = append(s.rss, r.PeakRSS)
	if r.ImagesPerS > 0 {
		s.rate = append(s.rate, r.ImagesPerS)
	}
}

func median[T int64 | float64](v []T) T {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// measurements holds the whole run.
type measurements struct {
	machine      machine
	goL1, ptL1   side
	goL2, ptL2   side
	goFwd, ptFwd side
	peakGFLOPs   float64
	enc          encodeResults
	paramsGo     [3]int
	paramsTorch  [3]int
	torchVersion string
}

func (o options) run(ctx context.Context) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	m := &measurements{machine: describeMachine()}
	threads := strconv.Itoa(runtime.NumCPU())
	torch := func(args ...string) (result, error) {
		return measure(ctx, nil, true, o.python, append([]string{"bench/torch_ref.py"}, append(args, "--threads", threads)...)...)
	}
	goW := func(args ...string) (result, error) {
		return measure(ctx, nil, true, self, append([]string{"worker"}, args...)...)
	}
	if o.encodeOnly {
		m.enc, err = o.encodeBench(ctx)
		if err == nil {
			m.encodeTable(os.Stdout)
		}
		return err
	}
	for round := range o.rounds {
		for _, lv := range []struct {
			level      int
			steps      string
			goS, torch *side
		}{{1, strconv.Itoa(o.steps1), &m.goL1, &m.ptL1}, {2, strconv.Itoa(o.steps2), &m.goL2, &m.ptL2}} {
			fmt.Fprintf(os.Stderr, "round %d/%d: level %d, stackae then PyTorch\n", round+1, o.rounds, lv.level)
			g, err := goW("step", "-level", strconv.Itoa(lv.level), "-steps", lv.steps)
			if err != nil {
				return err
			}
			p, err := torch("step", "--level", strconv.Itoa(lv.level), "--steps", lv.steps)
			if err != nil {
				return err
			}
			lv.goS.add(g)
			lv.torch.add(p)
			m.paramsGo[lv.level], m.paramsTorch[lv.level], m.torchVersion = g.Params, p.Params, p.Torch
		}
		fmt.Fprintf(os.Stderr, "round %d/%d: encoder forward only\n", round+1, o.rounds)
		g, err := goW("forward", "-batch", "64", "-rows", "640")
		if err != nil {
			return err
		}
		p, err := torch("forward", "--batch", "64", "--rows", "640")
		if err != nil {
			return err
		}
		m.goFwd.add(g)
		m.ptFwd.add(p)
	}
	for lv := 1; lv <= 2; lv++ {
		if m.paramsGo[lv] != m.paramsTorch[lv] {
			return fmt.Errorf("level %d: stackae has %d trainable parameters, the PyTorch reference %d: not the same architecture", lv, m.paramsGo[lv], m.paramsTorch[lv])
		}
	}
	peak, err := goW("peak")
	if err != nil {
		return err
	}
	m.peakGFLOPs = peak.GFLOPs
	if m.enc, err = o.encodeBench(ctx); err != nil {
		return err
	}
	return o.report(m)
}
