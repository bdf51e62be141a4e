package encode

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

// partRecord is what a part leaves for Finalize: its shards, and the
// lineage identity it encoded under.
type partRecord struct {
	Part     string          `json:"part"`
	Identity string          `json:"identity"`
	Shards   []dataset.Shard `json:"shards"`
}

func partKey(p Part) string { return fmt.Sprintf("_parts/part-%d-of-%d.json", p.I, p.N) }

func (j *job) recordPart(ctx context.Context, p Part, shards []dataset.Shard) error {
	rec, err := json.MarshalIndent(partRecord{Part: p.String(), Identity: j.tmpl.Lineage.Identity(), Shards: shards}, "", "  ")
	if err != nil {
		return err
	}
	return j.out.WriteAll(ctx, partKey(p), rec)
}

// Finalize commits a dataset encoded in n parts: every part's record must
// be present and of this lineage, every shard present with the recorded
// size and sha256. Stale shards and the part records are removed.
func Finalize(ctx context.Context, cfg Config, data *dataset.Dataset, mdl *train.Model, out *storage.Bucket, n int, opts Options) (*dataset.Manifest, error) {
	j, err := newJob(cfg, data, mdl, out, opts)
	if err != nil {
		return nil, err
	}
	if err := j.checkOutput(ctx, Part{N: n}); err != nil {
		return nil, err
	}
	var shards []dataset.Shard
	for i := range n {
		rec, err := j.readPart(ctx, Part{I: i, N: n})
		if err != nil {
			return nil, err
		}
		shards = append(shards, rec.Shards...)
	}
	if len(shards) != j.shards {
		return nil, fmt.Errorf("finalize %s: parts hold %d shards, the plan has %d", out.URL(), len(shards), j.shards)
	}
	for _, s := range shards {
		if err := verifyShard(ctx, out, s); err != nil {
			return nil, err
		}
	}
	m, err := dataset.CommitManifest(ctx, out, j.tmpl, shards) // then removes stale shards
	if err != nil {
		return nil, err
	}
	for i := range n {
		_ = out.Delete(ctx, partKey(Part{I: i, N: n}))
	}
	return m, nil
}

// partDone reports whether part p already ran with this lineage and every
// shard it recorded is intact: a re-run worker (after a kill, or a retried
// Argo step) reuses it instead of encoding again.
func (j *job) partDone(ctx context.Context, p Part) bool {
	rec, err := j.readPart(ctx, p)
	if err != nil {
		return false
	}
	for _, s := range rec.Shards {
		if err := verifyShard(ctx, j.out, s); err != nil {
			j.opts.Log.Warn("re-encoding a part whose shard does not verify", "part", p.String(), "error", err)
			return false
		}
	}
	j.opts.Log.Info("part already encoded and verified: reusing it", "part", p.String(), "shards", len(rec.Shards))
	return true
}

func (j *job) readPart(ctx context.Context, p Part) (*partRecord, error) {
	raw, err := j.out.ReadAll(ctx, partKey(p))
	if errors.Is(err, storage.ErrNotFound) {
		return nil, fmt.Errorf("finalize %s: part %s has not finished (no %s): run `stackae encode --shard %s` first", j.out.URL(), p, partKey(p), p)
	}
	if err != nil {
		return nil, err
	}
	var rec partRecord
	if err := json.Unmarshal(raw, &rec); err != nil {
		return nil, fmt.Errorf("%s: %w", j.out.KeyURL(partKey(p)), err)
	}
	if rec.Identity != j.tmpl.Lineage.Identity() {
		return nil, fmt.Errorf("finalize %s: part %s was encoded from other inputs or settings; run it again", j.out.URL(), p)
	}
	return &rec, nil
}

func verifyShard(ctx context.Context, b *storage.Bucket, s dataset.Shard) error {
	r, err := b.NewReader(ctx, s.Key)
	if err != nil {
		return fmt.Errorf("finalize: %w", err)
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return err
	}
	if n != s.Bytes || hex.EncodeToString(h.Sum(nil)) != s.SHA256 {
		return fmt.Errorf("finalize: %s does not match its part record (%d bytes); run its part again", b.KeyURL(s.Key), n)
	}
	return nil
}
