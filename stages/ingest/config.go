package ingest

import (
	"errors"
	"fmt"
	"strings"
)

// Config is the ingest job's configuration (config key "ingest").
type Config struct {
	// From is KIND:PATH: idx:DIR_OR_FILE, images:DIR, emoji:TGZ_OR_DIR[,...].
	From string `mapstructure:"from" yaml:"from" json:"from"`
	// Name of the dataset; default: the last element of the output URL.
	Name string `mapstructure:"name" yaml:"name" json:"name"`
	// Size is HxW (e.g. 64x64); empty keeps the size of the first image, and
	// every image must then have it.
	Size string `mapstructure:"size" yaml:"size" json:"size"`
	// Channels is 1 (gray) or 3 (RGB); 0 keeps the source's (IDX 1, else 3).
	Channels int `mapstructure:"channels" yaml:"channels" json:"channels"`
	// Validation is the fraction of rows put in the validation split, chosen
	// deterministically from a hash of each row's id.
	Validation float64 `mapstructure:"validation" yaml:"validation" json:"validation"`
	// Classes names label values 0..n-1, overriding the names the source
	// gives (folder and emoji sources name them; IDX does not).
	Classes []string `mapstructure:"classes" yaml:"classes" json:"classes"`
	// Workers decoding images in parallel; 0 means one per CPU.
	Workers int `mapstructure:"workers" yaml:"workers" json:"workers"`
	// ShardMB is the target raw size of a shard in MiB.
	ShardMB int `mapstructure:"shard_mb" yaml:"shard_mb" json:"shard_mb"`
}

// DefaultConfig returns the defaults as a value.
func DefaultConfig() Config {
	return Config{Validation: 0.1, ShardMB: 128}
}

// Validate checks every field, naming it by its config key.
func (c Config) Validate() error {
	if c.From == "" {
		return errors.New("ingest.from: required (KIND:PATH, KIND one of " + strings.Join(Kinds, ", ") + ")")
	}
	kind, path, ok := strings.Cut(c.From, ":")
	if !ok || path == "" {
		return fmt.Errorf("ingest.from %q: want KIND:PATH with KIND one of %s", c.From, strings.Join(Kinds, ", "))
	}
	if !contains(Kinds, kind) {
		return fmt.Errorf("ingest.from %q: unknown kind %q (want one of %s)", c.From, kind, strings.Join(Kinds, ", "))
	}
	if _, _, err := c.size(); err != nil {
		return err
	}
	switch {
	case c.Channels != 0 && c.Channels != 1 && c.Channels != 3:
		return fmt.Errorf("ingest.channels: %d (want 1, 3, or 0 for the source's own)", c.Channels)
	case c.Validation < 0 || c.Validation >= 1:
		return fmt.Errorf("ingest.validation: %v (want a fraction in [0, 1))", c.Validation)
	case c.Workers < 0:
		return fmt.Errorf("ingest.workers: %d (want >= 0)", c.Workers)
	case c.ShardMB < 1:
		return fmt.Errorf("ingest.shard_mb: %d (want >= 1)", c.ShardMB)
	}
	return nil
}

// size parses Size; 0, 0 means "keep the first image's size".
func (c Config) size() (h, w int, err error) {
	if c.Size == "" {
		return 0, 0, nil
	}
	if _, err := fmt.Sscanf(strings.ToLower(c.Size), "%dx%d", &h, &w); err != nil || h < 1 || w < 1 ||
		fmt.Sprintf("%dx%d", h, w) != strings.ToLower(c.Size) {
		return 0, 0, fmt.Errorf("ingest.size %q: want HxW, e.g. 64x64", c.Size)
	}
	return h, w, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
