package ingest

import (
	"testing"

	"github.com/stackae/stackae/storage"
)

// BenchmarkIngestIDX is the whole ingest path (read, split, encode shards)
// for 28x28 IDX images; see images/s.
func BenchmarkIngestIDX(b *testing.B) {
	dir := b.TempDir()
	const n = 20000
	writeIDX(b, dir, "train", n, 28, 28, true)
	for b.Loop() {
		out, _ := storage.Open(ctx, "mem://", storage.DefaultConfig())
		if _, err := Run(ctx, idxCfg(dir), out, Options{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "images/s")
}
