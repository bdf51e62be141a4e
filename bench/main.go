// Command stackae-bench runs stackae and the PyTorch reference of the same
// architecture side by side on this machine (`make bench`): training steps
// of level 1 and level 2, alternating process by process, peak RSS of each,
// encode throughput end to end on file:// and on a local S3 server against
// the encoder's forward-only rate, and GFLOP/s against the measured peak.
// It prints a table of medians and ratios against the targets and, with
// -md, writes it as Markdown.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/stackae/stackae/model"
)

func main() {
	model.TuneRuntime() // as cmd/stackae: OpenMP threads sleep between convolutions
	if len(os.Args) > 1 && os.Args[1] == "worker" {
		os.Exit(worker(os.Args[2:]))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var o options
	flag.IntVar(&o.rounds, "rounds", 3, "alternating rounds (one process per side per round)")
	flag.IntVar(&o.steps1, "steps1", 5, "timed level-1 steps per process (after one warm-up step)")
	flag.IntVar(&o.steps2, "steps2", 30, "timed level-2 steps per process")
	flag.IntVar(&o.rows, "rows", 800, "rows of the small encode input (the large one has 10x)")
	flag.StringVar(&o.python, "python", "/usr/bin/python3", "Python with Debian's python3-torch")
	flag.StringVar(&o.stackae, "stackae", "bin/stackae", "the stackae binary (make build)")
	flag.StringVar(&o.md, "md", "", "write the results as Markdown to this file")
	flag.BoolVar(&o.noS3, "no-s3", false, "skip the encode run on the S3 test server")
	flag.BoolVar(&o.encodeOnly, "encode-only", false, "only the encode runs (no training steps, no PyTorch)")
	flag.StringVar(&o.keep, "keep", "", "encode: build the datasets in this directory, keep them, and write a CPU profile of each encode run there")
	flag.Parse()
	if err := o.run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "stackae-bench:", err)
		os.Exit(1)
	}
}
