package dataset_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

// Two runs writing one output at the same time never mix their data: each
// writes shards under its own run id, the first manifest wins, and the
// other run learns who committed (a no-op for the same lineage). Shards of
// runs that did not commit are deleted by the commit, not before.
func TestRacingRunsNeverMixData(t *testing.T) {
	shape := dataset.Shape{2, 2, 1}
	small := dataset.WriteOptions{RowsPerShard: 4}
	for _, tc := range []struct {
		name     string
		configB  string
		wantErr  error
		wantText string
	}{
		{"other lineage", "b", dataset.ErrConflict, "already committed by run run-a"},
		{"same lineage", "a", dataset.ErrCommitted, "already committed by run run-a with the same lineage"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := storage.Open(ctx, "mem://", storage.DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			crashed := template(dataset.Uint8, shape, "a")
			crashed.Lineage.RunID = "run-crashed"
			wc, _ := dataset.Create(ctx, b, crashed, small)
			if err := wc.Write(rows(dataset.Uint8, shape, 8)); err != nil {
				t.Fatal(err)
			}
			wc.Abort() // killed: its shards stay behind

			ta, tb := template(dataset.Uint8, shape, "a"), template(dataset.Uint8, shape, tc.configB)
			tb.Lineage.RunID = "run-b"
			wa, err := dataset.Create(ctx, b, ta, small)
			if err != nil {
				t.Fatal(err)
			}
			wb, err := dataset.Create(ctx, b, tb, small)
			if err != nil {
				t.Fatal(err)
			}
			if n := countShards(t, b); n != 2 {
				t.Fatalf("Create deleted shards another run may still need: %d left of 2", n)
			}
			// Interleaved: B writes 12 rows, A 10; the shard numbers collide.
			if err := wb.Write(rows(dataset.Uint8, shape, 12)); err != nil {
				t.Fatal(err)
			}
			if err := wa.Write(rows(dataset.Uint8, shape, 10)); err != nil {
				t.Fatal(err)
			}
			ma, err := wa.Commit()
			if err != nil {
				t.Fatal(err)
			}
			_, err = wb.Commit()
			if !errors.Is(err, tc.wantErr) || !strings.Contains(err.Error(), tc.wantText) {
				t.Fatalf("second commit = %v; want %v and %q", err, tc.wantErr, tc.wantText)
			}
			d, err := dataset.Open(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			if d.Manifest.Rows != 10 || d.Manifest.Lineage.RunID != "run-a" || ma.Rows != 10 {
				t.Fatalf("committed %d rows by %s", d.Manifest.Rows, d.Manifest.Lineage.RunID)
			}
			if _, err := d.Verify(ctx, nil); err != nil {
				t.Fatalf("the committed dataset does not verify: %v", err)
			}
			if n := countShards(t, b); n != len(ma.Shards) {
				t.Fatalf("%d shards in the bucket after the commit, the manifest lists %d", n, len(ma.Shards))
			}
		})
	}
}

func countShards(t *testing.T, b *storage.Bucket) int {
	t.Helper()
	n := 0
	for obj, err := range b.List(ctx, "part-") {
		if err != nil {
			t.Fatal(err)
		}
		if strings.HasSuffix(obj.Key, ".parquet") {
			n++
		}
	}
	return n
}
