// Package downstream trains a model on a level's encodings read from
// storage (never re-encoding pixels): a classifier, a VAE or a BEGAN. Like
// a level's training it checkpoints progress, resumes bit-identically after
// a kill, and writes checkpoint.safetensors, metrics.json and PNG reports
// (curves, and for the generative kinds samples and reconstructions decoded
// through the stack to pixels) under the model URL.
package downstream

import (
	"fmt"

	"github.com/stackae/stackae/model"
)

// Config is the downstream job's configuration (config key "downstream").
type Config struct {
	// Kind is classifier, vae or began.
	Kind   string `mapstructure:"kind" yaml:"kind" json:"kind"`
	Width  int    `mapstructure:"width" yaml:"width" json:"width"`
	Hidden int    `mapstructure:"hidden" yaml:"hidden" json:"hidden"`
	Kernel int    `mapstructure:"kernel" yaml:"kernel" json:"kernel"`
	// Latent is z's size (vae, began).
	Latent int `mapstructure:"latent" yaml:"latent" json:"latent"`
	// Beta weighs the VAE's KL term.
	Beta float64 `mapstructure:"beta" yaml:"beta" json:"beta"`
	// Gamma and LambdaK are BEGAN's diversity ratio and k_t learning rate.
	Gamma   float64 `mapstructure:"gamma" yaml:"gamma" json:"gamma"`
	LambdaK float64 `mapstructure:"lambda_k" yaml:"lambda_k" json:"lambda_k"`
	LR      float64 `mapstructure:"lr" yaml:"lr" json:"lr"`
	Beta1   float64 `mapstructure:"beta1" yaml:"beta1" json:"beta1"`
	Beta2   float64 `mapstructure:"beta2" yaml:"beta2" json:"beta2"`
	Batch   int     `mapstructure:"batch" yaml:"batch" json:"batch"`
	Epochs  int     `mapstructure:"epochs" yaml:"epochs" json:"epochs"`
	// MaxSteps caps the number of batches (0: no cap).
	MaxSteps int    `mapstructure:"max_steps" yaml:"max_steps" json:"max_steps"`
	Seed     uint64 `mapstructure:"seed" yaml:"seed" json:"seed"`
	// CheckpointEvery is the number of batches between progress checkpoints.
	CheckpointEvery int `mapstructure:"checkpoint_every" yaml:"checkpoint_every" json:"checkpoint_every"`
	// ValBatches caps validation batches per epoch (0: the whole split).
	ValBatches int `mapstructure:"val_batches" yaml:"val_batches" json:"val_batches"`
	// Samples is the number of generated tiles in samples.png (vae, began).
	Samples int `mapstructure:"samples" yaml:"samples" json:"samples"`
}

// DefaultConfig is a classifier with the BEGAN paper's optimiser (Adam lr
// 1e-4, beta1 0.5), batch 16 and z of 64 for the generative kinds.
func DefaultConfig() Config {
	return Config{Kind: model.KindClassifier, Width: 32, Hidden: 128, Kernel: 4, Latent: 64, Beta: 1, Gamma: 0.5, LambdaK: 0.001,
		LR: 1e-4, Beta1: 0.5, Beta2: 0.999, Batch: 16, Epochs: 1, Seed: 1, CheckpointEvery: 200, Samples: 64}
}

// Validate checks what can be checked without the dataset.
func (c Config) Validate() error {
	switch {
	case c.Epochs < 1:
		return fmt.Errorf("downstream.epochs: %d (want >= 1)", c.Epochs)
	case c.MaxSteps < 0:
		return fmt.Errorf("downstream.max_steps: %d (want >= 0)", c.MaxSteps)
	case c.CheckpointEvery < 1:
		return fmt.Errorf("downstream.checkpoint_every: %d (want >= 1)", c.CheckpointEvery)
	case c.ValBatches < 0:
		return fmt.Errorf("downstream.val_batches: %d (want >= 0)", c.ValBatches)
	case c.Samples < 1:
		return fmt.Errorf("downstream.samples: %d (want >= 1)", c.Samples)
	}
	if err := c.hyper().Validate(); err != nil {
		return err
	}
	// Shape and classes come from the dataset; check the rest now.
	return c.arch([3]int{1, 1, 1}, 2).Validate()
}

// arch is the model for encodings of shape hwc and a number of classes.
func (c Config) arch(hwc [3]int, classes int) model.Downstream {
	d := model.Downstream{Kind: c.Kind, InShape: hwc, Width: c.Width, Hidden: c.Hidden, Kernel: c.Kernel}
	switch c.Kind {
	case model.KindClassifier:
		d.Classes = classes
	case model.KindVAE:
		d.Latent, d.Beta = c.Latent, c.Beta
	case model.KindBEGAN:
		d.Latent, d.Gamma, d.LambdaK = c.Latent, c.Gamma, c.LambdaK
	}
	return d
}

func (c Config) hyper() model.Hyper {
	return model.Hyper{LR: c.LR, Beta1: c.Beta1, Beta2: c.Beta2, Batch: c.Batch}
}
