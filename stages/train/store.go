package train

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/stackae/stackae/dataset"
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
	return LoadKey(ctx, b, CheckpointKey)
}

// LoadKey reads and decodes the checkpoint at key under b.
func LoadKey(ctx context.Context, b *storage.Bucket, key string) (*Model, error) {
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

// EncodeCheckpoint is c's safetensors bytes.
func EncodeCheckpoint(c *model.Checkpoint) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.Encode(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// CommitCheckpoint writes c as the committed model at out, only if none is
// there. When a concurrent run committed first, it is dataset.ErrCommitted
// (same lineage: nothing lost) or dataset.ErrConflict.
func CommitCheckpoint(ctx context.Context, out *storage.Bucket, c *model.Checkpoint) error {
	raw, err := EncodeCheckpoint(c)
	if err != nil {
		return err
	}
	if err := out.WriteIfAbsent(ctx, CheckpointKey, raw); err != nil {
		if !errors.Is(err, storage.ErrExists) {
			return err
		}
		if won, err := LoadKey(ctx, out, CheckpointKey); err == nil && SameLineage(won.Meta, c.Meta) {
			return fmt.Errorf("model %s: %w: another run committed the same training meanwhile", out.URL(), dataset.ErrCommitted)
		}
		return fmt.Errorf("model %s: committed by another run meanwhile, from other data or settings: %w", out.URL(), dataset.ErrConflict)
	}
	return nil
}
