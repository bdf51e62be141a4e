// Package jobs is the stackae command line: one file per job, each wiring
// configuration -> storage -> a stage. Run is the whole CLI.
package jobs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/configs"
	"github.com/stackae/stackae/storage"
)

// Exit codes.
const (
	ExitOK      = 0 // success, including "already done"
	ExitFailure = 1 // the job failed
	ExitUsage   = 2 // bad flags, arguments or configuration
)

// usageError marks errors the user fixes by changing the command line.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// Run executes the CLI with args (without the program name) and returns
// the process exit code.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	prof := addProfiling(root)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	prof.stop()
	if err == nil || errors.Is(err, errPrinted) {
		return ExitOK
	}
	fmt.Fprintf(stderr, "stackae: %v\n", err)
	return exitCode(err)
}

func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) || errors.Is(err, configs.ErrInvalid) || errors.Is(err, storage.ErrBadURL) ||
		strings.HasPrefix(err.Error(), "unknown command") { // cobra's, untyped
		return ExitUsage
	}
	return ExitFailure
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:           "stackae",
		Short:         "Stackable autoencoders for image datasets in object storage",
		Long:          "stackae turns image collections into Parquet datasets in object storage (file://, s3://,\nmem://) for stacked convolutional autoencoders and the models trained on their encodings.",
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       Version(),
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s: %w (see %s --help)", c.CommandPath(), err, c.CommandPath())}
	})
	pf := root.PersistentFlags()
	pf.String("config", "", "YAML config file (flags > STACKAE_* env > file > defaults)")
	pf.Bool("print-config", false, "print the effective config (secrets redacted) and exit")
	pf.String("log-format", "", "log format: auto, text or json")
	pf.String("log-level", "", "log level: debug, info, warn, error")
	root.AddCommand(newIngest(), newInspect(), newPreview(), newTrain(), newEncode(), newEval(), newRun(), newDownstream(), newSample(), newArgo())
	return root
}

func exactArgs(n int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return usagef("%s: want %s, got %d argument(s) (see %s --help)", cmd.CommandPath(), what, len(args), cmd.CommandPath())
		}
		return nil
	}
}
