package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// VerifyReport summarises a full check of a dataset.
type VerifyReport struct {
	Shards, Rows int64
	Bytes        int64
	Splits       map[string]int64
}

// Verify re-reads every shard: size and sha256 against the manifest, schema
// and footer metadata, row and split counts, unique ids, finite feature
// values and labels within the class list. The first problem found is
// returned, naming the shard.
func (d *Dataset) Verify(ctx context.Context, mem memory.Allocator) (*VerifyReport, error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	rep := &VerifyReport{Splits: map[string]int64{}}
	ids := map[string]string{}
	for _, s := range d.Manifest.Shards {
		if err := d.verifyBytes(ctx, s); err != nil {
			return rep, err
		}
		if err := d.verifyRows(ctx, s, mem, ids, rep); err != nil {
			return rep, fmt.Errorf("%s: %w", d.b.KeyURL(s.Key), err)
		}
		rep.Shards++
		rep.Bytes += s.Bytes
	}
	return rep, nil
}

func (d *Dataset) verifyBytes(ctx context.Context, s Shard) error {
	r, err := d.b.NewReader(ctx, s.Key)
	if err != nil {
		return err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return fmt.Errorf("%s: %w", d.b.KeyURL(s.Key), err)
	}
	if n != s.Bytes {
		return fmt.Errorf("%s: %d bytes, manifest says %d", d.b.KeyURL(s.Key), n, s.Bytes)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != s.SHA256 {
		return fmt.Errorf("%s: sha256 %s does not match the manifest's %s", d.b.KeyURL(s.Key), got, s.SHA256)
	}
	return nil
}

func (d *Dataset) verifyRows(ctx context.Context, s Shard, mem memory.Allocator, ids map[string]string, rep *VerifyReport) error {
	r, err := openShard(ctx, d.b, s.Key, d.Manifest, mem)
	if err != nil {
		return err
	}
	defer r.close()
	splits := map[string]int64{}
	var rows int64
	for rg := range r.numRowGroups() {
		b, err := r.readRowGroup(ctx, rg)
		if err != nil {
			return fmt.Errorf("row group %d: %w", rg, err)
		}
		if err := d.checkRows(b, s.Key, ids); err != nil {
			return err
		}
		rows += int64(b.Len())
		for _, sp := range b.Splits {
			splits[sp]++
		}
	}
	if rows != s.Rows {
		return fmt.Errorf("%d rows, manifest says %d", rows, s.Rows)
	}
	for k, v := range s.Splits {
		if splits[k] != v {
			return fmt.Errorf("%d %s rows, manifest says %d", splits[k], k, v)
		}
	}
	rep.Rows += rows
	for k, v := range splits {
		rep.Splits[k] += v
	}
	return nil
}

func (d *Dataset) checkRows(b *Batch, key string, ids map[string]string) error {
	m := d.Manifest
	for i, id := range b.IDs {
		if prev, dup := ids[id]; dup {
			return fmt.Errorf("id %q is also in %s", id, prev)
		}
		ids[id] = key
		if l := b.Labels[i]; l != NoLabel && (l < 0 || (len(m.Classes) > 0 && int(l) >= len(m.Classes))) {
			return fmt.Errorf("row %s: label %d outside 0..%d", id, l, len(m.Classes)-1)
		}
		if b.Splits[i] != Train && b.Splits[i] != Validation {
			return fmt.Errorf("row %s: split %q", id, b.Splits[i])
		}
	}
	sz := m.Shape.Size()
	for j, v := range b.F32 {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return fmt.Errorf("row %s: feature %d is %v", b.IDs[j/sz], j%sz, v)
		}
	}
	return nil
}
