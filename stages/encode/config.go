// Package encode streams a level k-1 dataset through a trained level-k
// encoder and writes the level-k dataset: same format, labels and splits
// carried over, lineage pointing at the source manifest and the
// checkpoint. The work splits into n parts that produce exactly the shards
// a single run would; Finalize commits them.
package encode

import (
	"fmt"
	"strconv"
	"strings"
)

// Config is the encode job's configuration (config key "encode").
type Config struct {
	// Batch is the number of rows per encoder call.
	Batch int `mapstructure:"batch" yaml:"batch" json:"batch"`
	// ShardMB is the target raw MiB per output shard (rounded to whole row groups).
	ShardMB int `mapstructure:"shard_mb" yaml:"shard_mb" json:"shard_mb"`
	// ShardRows, when > 0, is the exact number of rows per shard instead.
	ShardRows int `mapstructure:"shard_rows" yaml:"shard_rows" json:"shard_rows"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{Batch: 64, ShardMB: 128} }

// Validate names the first bad field.
func (c Config) Validate() error {
	switch {
	case c.Batch < 1:
		return fmt.Errorf("encode.batch: %d (want >= 1)", c.Batch)
	case c.ShardMB < 1:
		return fmt.Errorf("encode.shard_mb: %d (want >= 1)", c.ShardMB)
	case c.ShardRows < 0:
		return fmt.Errorf("encode.shard_rows: %d (want >= 0)", c.ShardRows)
	}
	return nil
}

// Part is worker I of N (0-based).
type Part struct{ I, N int }

// ParsePart reads "i/n".
func ParsePart(s string) (Part, error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return Part{}, fmt.Errorf("--shard %q: want i/n with 0 <= i < n, e.g. 0/3", s)
	}
	return Part{I: i, N: n}, nil
}

func (p Part) String() string { return fmt.Sprintf("%d/%d", p.I, p.N) }
