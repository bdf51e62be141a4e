package configs

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// ErrInvalid marks configuration errors (exit code 2).
var ErrInvalid = errors.New("invalid configuration")

// EnvPrefix is the prefix of environment variables: storage.s3.region is
// STACKAE_STORAGE_S3_REGION.
const EnvPrefix = "STACKAE"

// Load builds the effective Config from defaults, the YAML file (if file is
// not empty), STACKAE_* variables and the flags in flags that were set;
// flagKeys maps flag names to config keys.
func Load(file string, flags *pflag.FlagSet, flagKeys map[string]string) (Config, error) {
	v := viper.New()
	keys, err := setDefaults(v)
	if err != nil {
		return Config{}, err
	}
	if file != "" {
		if err := readFile(v, file, keys); err != nil {
			return Config{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	v.SetEnvPrefix(EnvPrefix)
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for name, key := range flagKeys {
		if f := flags.Lookup(name); f != nil {
			if err := v.BindPFlag(key, f); err != nil {
				return Config{}, err
			}
		}
	}
	cfg := Default()
	if err := v.UnmarshalExact(&cfg, viper.DecodeHook(mapstructure.ComposeDecodeHookFunc(
		mapstructure.StringToTimeDurationHookFunc(), mapstructure.StringToSliceHookFunc(",")))); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return cfg, nil
}

// setDefaults registers every leaf key of Default() (so that environment
// variables reach every key) and returns the set of known keys.
func setDefaults(v *viper.Viper) (map[string]bool, error) {
	var tree map[string]any
	if err := mapstructure.Decode(Default(), &tree); err != nil {
		return nil, err
	}
	keys := map[string]bool{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, val := range m {
			key := prefix + k
			if sub, ok := val.(map[string]any); ok {
				walk(key+".", sub)
				continue
			}
			keys[key] = true
			v.SetDefault(key, val)
		}
	}
	walk("", tree)
	return keys, nil
}

// readFile merges the YAML file, rejecting keys that are not in known.
func readFile(v *viper.Viper, file string, known map[string]bool) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var tree map[string]any
	if err := yaml.Unmarshal(data, &tree); err != nil {
		return fmt.Errorf("config file %s: %w", file, err)
	}
	if unknown := unknownKeys("", tree, known); len(unknown) > 0 {
		k := unknown[0]
		hint := ""
		if s := closest(k, known); s != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", s)
		}
		return fmt.Errorf("config file %s: unknown key %q%s", file, k, hint)
	}
	return v.MergeConfigMap(tree)
}

func unknownKeys(prefix string, tree map[string]any, known map[string]bool) []string {
	var out []string
	for k, val := range tree {
		key := prefix + k
		if sub, ok := val.(map[string]any); ok && !known[key] {
			out = append(out, unknownKeys(key+".", sub, known)...)
			continue
		}
		if !known[key] {
			out = append(out, key)
		}
	}
	sort.Strings(out)
	return out
}

// closest returns the known key within edit distance 3 of key, if any.
func closest(key string, known map[string]bool) string {
	best, bestD := "", 4
	for k := range known {
		if d := editDistance(key, k); d < bestD || (d == bestD && k < best) {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// YAML renders the config with secrets redacted.
func (c Config) YAML() ([]byte, error) {
	return yaml.Marshal(c)
}
