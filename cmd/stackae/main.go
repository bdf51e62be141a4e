// Command stackae is the stackable-autoencoder CLI; see `stackae --help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/stackae/stackae/jobs"
	"github.com/stackae/stackae/model"
)

func main() {
	model.TuneRuntime() // may re-execute the program once
	// SIGINT/SIGTERM cancel the context: in-flight uploads are aborted, no
	// manifest is written, and the job exits non-zero.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := jobs.Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
