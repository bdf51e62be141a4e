package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/stackae/stackae/configs"
	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
	"golang.org/x/term"
)

// errPrinted ends a command that did its work by printing (--print-config).
var errPrinted = errors.New("printed")

// env is what every job gets: the effective config, a logger, its output
// streams and a run id.
type env struct {
	cfg    configs.Config
	log    *slog.Logger
	out    io.Writer
	errOut io.Writer
	tty    bool
	runID  string
}

// globalFlags maps the root's persistent flags to config keys.
var globalFlags = map[string]string{"log-format": "log.format", "log-level": "log.level"}

// setup loads the config for cmd (its flags mapped by flagKeys) and handles
// --print-config.
func setup(cmd *cobra.Command, flagKeys map[string]string) (*env, error) {
	keys := map[string]string{}
	for k, v := range globalFlags {
		keys[k] = v
	}
	for k, v := range flagKeys {
		keys[k] = v
	}
	file, _ := cmd.Flags().GetString("config")
	cfg, err := configs.Load(file, cmd.Flags(), keys)
	if err != nil {
		return nil, err
	}
	e := &env{cfg: cfg, out: cmd.OutOrStdout(), errOut: cmd.ErrOrStderr(), runID: newRunID()}
	e.tty = isTerminal(e.errOut)
	e.log = newLogger(cfg.Log, e.errOut, e.tty).With("run_id", e.runID)
	if p, _ := cmd.Flags().GetBool("print-config"); p {
		y, err := cfg.YAML()
		if err != nil {
			return nil, err
		}
		_, _ = e.out.Write(y)
		return nil, errPrinted
	}
	return e, nil
}

func (e *env) open(ctx context.Context, url string) (*storage.Bucket, error) {
	return storage.Open(ctx, url, e.cfg.Storage)
}

func newLogger(c configs.LogConfig, w io.Writer, tty bool) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Level))
	opts := &slog.HandlerOptions{Level: level}
	if c.Format == "json" || (c.Format == "auto" && !tty) {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// newRunID is sortable by time and unique enough to tell runs apart.
func newRunID() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}

// openDataset opens the committed dataset at url; close releases its bucket.
func (e *env) openDataset(ctx context.Context, url string) (*dataset.Dataset, func(), error) {
	b, err := e.open(ctx, url)
	if err != nil {
		return nil, nil, err
	}
	d, err := dataset.Open(ctx, b)
	if err != nil {
		b.Close()
		return nil, nil, err
	}
	return d, func() { b.Close() }, nil
}
