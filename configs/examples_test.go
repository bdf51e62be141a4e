package configs

import (
	"path/filepath"
	"testing"

	"github.com/spf13/pflag"
)

// Every shipped example config loads strictly and validates.
func TestExampleConfigsLoad(t *testing.T) {
	files, _ := filepath.Glob("*.yaml")
	if len(files) < 3 {
		t.Fatalf("found %d example configs", len(files))
	}
	for _, f := range files {
		t.Run(f, func(t *testing.T) {
			cfg, err := Load(f, pflag.NewFlagSet("x", pflag.ContinueOnError), nil)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Ingest.From != "" {
				if err := cfg.Ingest.Validate(); err != nil {
					t.Fatal(err)
				}
			}
			if len(cfg.Pipeline.Levels) > 0 {
				levels, err := cfg.LevelConfigs()
				if err != nil {
					t.Fatal(err)
				}
				if levels[0].Features != cfg.Train.Features {
					t.Fatal("level entries lost the train section's values")
				}
			}
		})
	}
}
