package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"time"

	"github.com/stackae/stackae/model"
	"gorgonia.org/tensor"
)

// levels are the benchmarked levels: the reference level 1 on 64x64x3 and
// the flatten level 2 on its 8x8x32 codes (as bench/torch_ref.py).
var levels = map[int]model.Arch{
	1: {InShape: [3]int{64, 64, 3}, Factor: 8, Features: 32, Width: 32, Blocks: 1, Kernel: 4},
	2: {InShape: [3]int{8, 8, 32}, Factor: 0, Features: 32, Width: 32, Blocks: 1, Kernel: 4},
}

// worker runs one measured Go side in this process: "step" (training
// steps), "forward" (encoder inference) or "peak" (oneDNN conv GFLOP/s).
// It prints one JSON line.
func worker(args []string) int {
	fs := flag.NewFlagSet("worker", flag.ExitOnError)
	level := fs.Int("level", 1, "level (1 or 2)")
	batch := fs.Int("batch", 32, "batch size")
	steps := fs.Int("steps", 5, "timed steps")
	rows := fs.Int("rows", 640, "rows (forward)")
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "worker: want step, forward or peak")
		return 2
	}
	mode := args[0]
	_ = fs.Parse(args[1:])
	var r result
	var err error
	switch mode {
	case "step":
		r, err = goSteps(levels[*level], *batch, *steps)
	case "forward":
		r, err = goForward(levels[1], *batch, *rows)
	case "peak":
		r, err = convPeak()
	default:
		err = fmt.Errorf("unknown worker mode %q", mode)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "worker:", err)
		return 1
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	return 0
}

func randomInput(n int) []float32 {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, n)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	return x
}

func goSteps(a model.Arch, batch, steps int) (result, error) {
	tr, err := model.NewTrainer(a, model.Hyper{LR: 1e-4, Beta1: 0.5, Beta2: 0.999, Batch: batch}, model.NewParams(tensor.Float32, 1))
	if err != nil {
		return result{}, err
	}
	x := randomInput(batch * a.InShape[0] * a.InShape[1] * a.InShape[2])
	r := result{Params: tr.Params.Count()}
	for i := range steps + 1 { // the first step creates the primitives
		t0 := time.Now()
		if r.Loss, err = tr.Step(x); err != nil {
			return result{}, err
		}
		if i > 0 {
			r.Times = append(r.Times, time.Since(t0).Seconds())
		}
	}
	return r, nil
}

func goForward(a model.Arch, batch, rows int) (result, error) {
	enc, err := model.NewEncoder(a, model.NewParams(tensor.Float32, 1), batch)
	if err != nil {
		return result{}, err
	}
	x := randomInput(batch * a.InShape[0] * a.InShape[1] * a.InShape[2])
	if _, err := enc.Run(x); err != nil { // warm-up
		return result{}, err
	}
	t0 := time.Now()
	done := 0
	for ; done < rows; done += batch {
		if _, err := enc.Run(x); err != nil {
			return result{}, err
		}
	}
	return result{ImagesPerS: float64(done) / time.Since(t0).Seconds()}, nil
}
