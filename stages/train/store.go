package train

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/storage"
)

// Keys under a model URL.
const (
	CheckpointKey = "checkpoint.safetensors"          // the trained level (the commit)
	ProgressKey   = "progress/checkpoint.safetensors" // latest periodic checkpoint
	MetricsKey    = "metrics.json"
	LossPlotKey   = "loss.png"
)

// Model is a checkpoint loaded from storage with its content hash.
type Model struct {
	*model.Checkpoint
	URL    string
	SHA256 string
}

// LoadModel reads the trained level at b (its checkpoint.safetensors).
func LoadModel(ctx context.Context, b *storage.Bucket) (*Model, error) {
	return loadKey(ctx, b, CheckpointKey)
}

func loadKey(ctx context.Context, b *storage.Bucket, key string) (*Model, error) {
	raw, err := b.ReadAll(ctx, key)
	if errors.Is(err, storage.ErrNotFound) && key == CheckpointKey {
		return nil, fmt.Errorf("no trained model at %s (no %s; has `stackae train` finished?): %w", b.URL(), key, err)
	}
	if err != nil {
		return nil, err
	}
	c, err := model.DecodeCheckpoint(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", b.KeyURL(key), err)
	}
	sum := sha256.Sum256(raw)
	return &Model{Checkpoint: c, URL: b.URL(), SHA256: hex.EncodeToString(sum[:])}, nil
}

func encodeCheckpoint(c *model.Checkpoint) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.Encode(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
