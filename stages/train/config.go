// Package train trains one stack level on a dataset read from storage and
// writes its checkpoint, metrics.json and loss.png to a model URL. A killed
// run restarted with the same settings resumes from its last progress
// checkpoint and ends bit-identical to an uninterrupted run.
package train

import (
	"fmt"
	"strconv"

	"github.com/stackae/stackae/model"
)

// Config is the train job's configuration (config key "train").
type Config struct {
	// Factor is 2, 4, 8, ... or "flatten".
	Factor   string  `mapstructure:"factor" yaml:"factor" json:"factor"`
	Features int     `mapstructure:"features" yaml:"features" json:"features"`
	Width    int     `mapstructure:"width" yaml:"width" json:"width"`
	Blocks   int     `mapstructure:"blocks" yaml:"blocks" json:"blocks"`
	Kernel   int     `mapstructure:"kernel" yaml:"kernel" json:"kernel"`
	LR       float64 `mapstructure:"lr" yaml:"lr" json:"lr"`
	Beta1    float64 `mapstructure:"beta1" yaml:"beta1" json:"beta1"`
	Beta2    float64 `mapstructure:"beta2" yaml:"beta2" json:"beta2"`
	Batch    int     `mapstructure:"batch" yaml:"batch" json:"batch"`
	Epochs   int     `mapstructure:"epochs" yaml:"epochs" json:"epochs"`
	// MaxSteps caps the number of batches (0: no cap).
	MaxSteps int    `mapstructure:"max_steps" yaml:"max_steps" json:"max_steps"`
	Seed     uint64 `mapstructure:"seed" yaml:"seed" json:"seed"`
	// CheckpointEvery is the number of batches between progress checkpoints.
	CheckpointEvery int `mapstructure:"checkpoint_every" yaml:"checkpoint_every" json:"checkpoint_every"`
	// ValBatches caps validation batches per epoch (0: the whole split).
	ValBatches int `mapstructure:"val_batches" yaml:"val_batches" json:"val_batches"`
}

// DefaultConfig is the reference architecture and optimiser.
func DefaultConfig() Config {
	a, h := model.DefaultArch(), model.DefaultHyper()
	return Config{Factor: "8", Features: a.Features, Width: a.Width, Blocks: a.Blocks, Kernel: a.Kernel,
		LR: h.LR, Beta1: h.Beta1, Beta2: h.Beta2, Batch: h.Batch, Epochs: 1, Seed: 1, CheckpointEvery: 200}
}

// Validate checks what can be checked without the input shape.
func (c Config) Validate() error {
	if _, err := c.factor(); err != nil {
		return err
	}
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("train.epochs: %d (want >= 1)", c.Epochs)
	case c.MaxSteps < 0:
		return fmt.Errorf("train.max_steps: %d (want >= 0)", c.MaxSteps)
	case c.CheckpointEvery < 1:
		return fmt.Errorf("train.checkpoint_every: %d (want >= 1)", c.CheckpointEvery)
	case c.ValBatches < 0:
		return fmt.Errorf("train.val_batches: %d (want >= 0)", c.ValBatches)
	}
	return c.hyper().Validate()
}

func (c Config) factor() (int, error) {
	if c.Factor == "flatten" {
		return 0, nil
	}
	f, err := strconv.Atoi(c.Factor)
	if err != nil || f < 2 || f&(f-1) != 0 {
		return 0, fmt.Errorf("train.factor %q: want 2, 4, 8, ... or flatten", c.Factor)
	}
	return f, nil
}

// Arch is the level's architecture for an input of shape hwc.
func (c Config) Arch(hwc [3]int) (model.Arch, error) {
	f, err := c.factor()
	if err != nil {
		return model.Arch{}, err
	}
	a := model.Arch{InShape: hwc, Factor: f, Features: c.Features, Width: c.Width, Blocks: c.Blocks, Kernel: c.Kernel}
	return a, a.Validate()
}

func (c Config) hyper() model.Hyper {
	return model.Hyper{LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2, Batch: c.Batch}
}
