// Package configs composes every package's typed Config into the one
// configuration a stackae job runs with, and loads it. It is the only
// package that imports viper.
//
// Precedence: flags > STACKAE_* environment > YAML file (--config) >
// defaults. An unknown key in the file is an error naming it; every field
// is then validated by its own package.
package configs

import (
	"fmt"
	"regexp"

	"github.com/go-viper/mapstructure/v2"

	"github.com/stackae/stackae/argo"
	"github.com/stackae/stackae/stages/downstream"
	"github.com/stackae/stackae/stages/encode"
	"github.com/stackae/stackae/stages/evaluate"
	"github.com/stackae/stackae/stages/ingest"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

// Config is the whole configuration.
type Config struct {
	Storage storage.Config `mapstructure:"storage" yaml:"storage" json:"storage"`
	Log     LogConfig      `mapstructure:"log" yaml:"log" json:"log"`
	Ingest  IngestJob      `mapstructure:"ingest" yaml:"ingest" json:"ingest"`
	Train   TrainJob       `mapstructure:"train" yaml:"train" json:"train"`
	Encode  EncodeJob      `mapstructure:"encode" yaml:"encode" json:"encode"`
	Eval    EvalJob        `mapstructure:"eval" yaml:"eval" json:"eval"`
	// Argo is how `stackae argo render` runs the pipeline's steps.
	Argo argo.Config `mapstructure:"argo" yaml:"argo" json:"argo"`
	// Downstream is `stackae downstream train`'s section.
	Downstream DownstreamJob `mapstructure:"downstream" yaml:"downstream" json:"downstream"`
	// Pipeline is what `stackae run` executes.
	Pipeline PipelineConfig `mapstructure:"pipeline" yaml:"pipeline" json:"pipeline"`
}

// PipelineConfig describes the staged pipeline: ingest (the ingest
// section), then train + encode for each level, then eval.
type PipelineConfig struct {
	// Name of the experiment; Root (default ./data/<name>) holds every
	// stage's output: level0, level<k>/model, level<k>/data, eval.
	Name string `mapstructure:"name" yaml:"name" json:"name"`
	Root string `mapstructure:"root" yaml:"root" json:"root"`
	// Levels, level 1 first: each entry overrides keys of the train section.
	Levels []map[string]any `mapstructure:"levels" yaml:"levels" json:"levels"`
	// EncodeTop also encodes the top level's dataset (for downstream jobs).
	EncodeTop bool `mapstructure:"encode_top" yaml:"encode_top" json:"encode_top"`
	// Downstream models, each after the level it reads: every entry
	// overrides keys of the downstream section, plus "level" (the dataset
	// it reads, 0 for pixels; default the top level) and "name" (its output
	// <root>/downstream/<name>; default <kind>-level<k>).
	Downstream []map[string]any `mapstructure:"downstream" yaml:"downstream" json:"downstream"`
}

// stageName is what a downstream entry may be called: it names a folder, a
// pipeline stage and a task of a rendered Argo workflow.
var stageName = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// DownstreamStage is one pipeline.downstream entry, resolved.
type DownstreamStage struct {
	Name   string
	Level  int
	Config downstream.Config
}

// EvalJob is the eval stage's config plus what the job reads and writes.
type EvalJob struct {
	evaluate.Config `mapstructure:",squash" yaml:",inline"`
	// Stack lists model URLs, level 1 first; Data is the level-0 dataset;
	// Out receives eval.json and reconstructions.png (default <top model>/eval).
	Stack []string `mapstructure:"stack" yaml:"stack" json:"stack"`
	Data  string   `mapstructure:"data" yaml:"data" json:"data"`
	Out   string   `mapstructure:"out" yaml:"out" json:"out"`
}

// DownstreamJob is a downstream model's config plus what the job reads and
// writes.
type DownstreamJob struct {
	downstream.Config `mapstructure:",squash" yaml:",inline"`
	// Data is any level's dataset; Model the output model URL; Stack the
	// models that decode Data's encodings to pixels for the PNG reports,
	// level 1 first (default: found through Data's lineage).
	Data  string   `mapstructure:"data" yaml:"data" json:"data"`
	Model string   `mapstructure:"model" yaml:"model" json:"model"`
	Stack []string `mapstructure:"stack" yaml:"stack" json:"stack"`
}

// EncodeJob is the encode stage's config plus what the job reads and writes.
type EncodeJob struct {
	encode.Config `mapstructure:",squash" yaml:",inline"`
	// Data is the level k-1 dataset, Model the level-k model, To the output.
	Data  string `mapstructure:"data" yaml:"data" json:"data"`
	Model string `mapstructure:"model" yaml:"model" json:"model"`
	To    string `mapstructure:"to" yaml:"to" json:"to"`
}

// TrainJob is the train stage's config plus what the job reads and writes.
type TrainJob struct {
	train.Config `mapstructure:",squash" yaml:",inline"`
	// Data is the input dataset URL (level k-1); Model the output model URL.
	Data  string `mapstructure:"data" yaml:"data" json:"data"`
	Model string `mapstructure:"model" yaml:"model" json:"model"`
}

// IngestJob is the ingest stage's config plus where the job writes.
type IngestJob struct {
	ingest.Config `mapstructure:",squash" yaml:",inline"`
	// To is the output dataset URL.
	To string `mapstructure:"to" yaml:"to" json:"to"`
}

// LogConfig selects the log format and level.
type LogConfig struct {
	// Format is auto (text on a terminal, JSON otherwise), text or json.
	Format string `mapstructure:"format" yaml:"format" json:"format"`
	// Level is debug, info, warn or error.
	Level string `mapstructure:"level" yaml:"level" json:"level"`
}

// Default returns the defaults as a value.
func Default() Config {
	return Config{
		Storage:    storage.DefaultConfig(),
		Log:        LogConfig{Format: "auto", Level: "info"},
		Ingest:     IngestJob{Config: ingest.DefaultConfig()},
		Train:      TrainJob{Config: train.DefaultConfig()},
		Encode:     EncodeJob{Config: encode.DefaultConfig()},
		Eval:       EvalJob{Config: evaluate.DefaultConfig()},
		Downstream: DownstreamJob{Config: downstream.DefaultConfig()},
		Argo:       argo.DefaultConfig(),
		Pipeline:   PipelineConfig{EncodeTop: true},
	}
}

// LevelConfigs returns the train config of every pipeline level: the train
// section overridden by the level's entry, decoded strictly.
func (c Config) LevelConfigs() ([]train.Config, error) {
	var out []train.Config
	for i, entry := range c.Pipeline.Levels {
		lc := c.Train.Config
		dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &lc, ErrorUnused: true, WeaklyTypedInput: true})
		if err != nil {
			return nil, err
		}
		if err := dec.Decode(entry); err != nil {
			return nil, fmt.Errorf("%w: pipeline.levels[%d]: %w", ErrInvalid, i, err)
		}
		if err := lc.Validate(); err != nil {
			return nil, fmt.Errorf("%w: pipeline.levels[%d]: %w", ErrInvalid, i, err)
		}
		out = append(out, lc)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: pipeline.levels: empty (want one entry per stack level)", ErrInvalid)
	}
	return out, nil
}

// DownstreamStages resolves pipeline.downstream against the downstream
// section and the number of levels, decoding each entry strictly.
func (c Config) DownstreamStages(levels int) ([]DownstreamStage, error) {
	var out []DownstreamStage
	for i, entry := range c.Pipeline.Downstream {
		st := DownstreamStage{Level: levels, Config: c.Downstream.Config}
		rest := map[string]any{}
		for k, v := range entry {
			rest[k] = v
		}
		if err := takeInt(rest, "level", &st.Level); err != nil {
			return nil, fmt.Errorf("%w: pipeline.downstream[%d]: %w", ErrInvalid, i, err)
		}
		if n, ok := rest["name"].(string); ok {
			st.Name = n
			delete(rest, "name")
		}
		dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{Result: &st.Config, ErrorUnused: true, WeaklyTypedInput: true})
		if err != nil {
			return nil, err
		}
		if err := dec.Decode(rest); err != nil {
			return nil, fmt.Errorf("%w: pipeline.downstream[%d]: %w", ErrInvalid, i, err)
		}
		if err := st.Config.Validate(); err != nil {
			return nil, fmt.Errorf("%w: pipeline.downstream[%d]: %w", ErrInvalid, i, err)
		}
		if st.Level < 0 || st.Level > levels || (st.Level == levels && !c.Pipeline.EncodeTop && levels > 0) {
			return nil, fmt.Errorf("%w: pipeline.downstream[%d].level %d: want 0..%d (the top level needs pipeline.encode_top)", ErrInvalid, i, st.Level, levels)
		}
		if st.Name == "" {
			st.Name = fmt.Sprintf("%s-level%d", st.Config.Kind, st.Level)
		}
		if !stageName.MatchString(st.Name) {
			return nil, fmt.Errorf("%w: pipeline.downstream[%d].name %q: want lower-case letters, digits and '-' (at most 40)", ErrInvalid, i, st.Name)
		}
		out = append(out, st)
	}
	return out, nil
}

func takeInt(m map[string]any, key string, dst *int) error {
	v, ok := m[key]
	if !ok {
		return nil
	}
	delete(m, key)
	switch n := v.(type) {
	case int:
		*dst = n
	case float64:
		if n != float64(int(n)) {
			return fmt.Errorf("%s: %v is not a whole number", key, v)
		}
		*dst = int(n)
	default:
		return fmt.Errorf("%s: %v is not a number", key, v)
	}
	return nil
}

// Validate checks the sections every job uses; job-specific sections are
// validated by the job that runs them.
func (c Config) Validate() error {
	if err := c.Storage.Validate(); err != nil {
		return err
	}
	switch c.Log.Format {
	case "auto", "text", "json":
	default:
		return fmt.Errorf("log.format %q: want auto, text or json", c.Log.Format)
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log.level %q: want debug, info, warn or error", c.Log.Level)
	}
	return nil
}
