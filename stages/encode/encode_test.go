package encode

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/dataset/datasettest"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

var ctx = context.Background()

func mem(t *testing.T) *storage.Bucket {
	b, err := storage.Open(ctx, "mem://", storage.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// trained returns a tiny level-1 model trained on data.
func trained(t *testing.T, data *dataset.Dataset) *train.Model {
	t.Helper()
	cfg := train.DefaultConfig()
	cfg.Factor, cfg.Features, cfg.Width, cfg.Batch, cfg.MaxSteps, cfg.LR = "2", 3, 4, 4, 8, 3e-3
	out := mem(t)
	if _, err := train.Run(ctx, cfg, data, out, train.Options{}); err != nil {
		t.Fatal(err)
	}
	m, err := train.LoadModel(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func readAll(t *testing.T, b *storage.Bucket) (*dataset.Dataset, *dataset.Batch) {
	t.Helper()
	d, err := dataset.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Verify(ctx, nil); err != nil {
		t.Fatal(err)
	}
	all := &dataset.Batch{Shape: d.Manifest.Shape}
	for b, err := range d.Scan(ctx, dataset.ScanOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		for i := range b.Len() {
			all.Append(b.IDs[i], b.Labels[i], b.Splits[i], b.Row(i))
		}
	}
	return d, all
}

func TestEncodeOneAndThreePartsIdentical(t *testing.T) {
	data := datasettest.Blobs(t, 50, 8, 8, 1)
	mdl := trained(t, data)
	cfg := DefaultConfig()
	cfg.Batch, cfg.ShardRows = 7, 12 // 5 shards; batches straddle shard edges

	one := mem(t)
	m1, err := Run(ctx, cfg, data, mdl, one, Part{0, 1}, Options{RunID: "one"})
	if err != nil {
		t.Fatal(err)
	}
	if m1.Name != "blobs-level1" || levelName("x-level1", 2) != "x-level2" || m1.Level != 1 || m1.Shape != (dataset.Shape{4, 4, 3}) || m1.DType != dataset.Float32 || len(m1.Shards) != 5 ||
		m1.Lineage.Model.SHA256 != mdl.SHA256 || m1.Lineage.Source.SHA256 != data.ManifestSHA256 || !slices.Equal(m1.Classes, []string{"even", "odd"}) {
		t.Fatalf("manifest %+v", m1)
	}
	three := mem(t)
	cfg3 := cfg
	cfg3.Batch = 16 // batch size does not change the output
	for _, i := range []int{2, 0, 1} {
		if m, err := Run(ctx, cfg3, data, mdl, three, Part{i, 3}, Options{RunID: "three"}); err != nil || m != nil {
			t.Fatalf("part %d/3: %v, %v", i, m, err)
		}
	}
	if _, err := dataset.Open(ctx, three); !errors.Is(err, dataset.ErrNotDataset) {
		t.Fatal("parts alone committed a dataset")
	}
	m3, err := Finalize(ctx, cfg3, data, mdl, three, 3, Options{RunID: "three"})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range m1.Shards {
		a, _ := one.ReadAll(ctx, s.Key)
		b, _ := three.ReadAll(ctx, m3.Shards[i].Key)
		if !bytes.Equal(a, b) {
			t.Fatalf("shard %s differs between 1 and 3 parts", s.Key)
		}
	}
	_, rows1 := readAll(t, one)
	_, rows3 := readAll(t, three)
	if !slices.Equal(rows1.IDs, rows3.IDs) || !slices.Equal(rows1.F32, rows3.F32) || !slices.Equal(rows1.Labels, rows3.Labels) || !slices.Equal(rows1.Splits, rows3.Splits) {
		t.Fatal("rows differ between 1 and 3 parts")
	}
	if ok, _ := three.Exists(ctx, "_parts/part-0-of-3.json"); ok {
		t.Fatal("part records left after finalize")
	}
	checkAgainstEncoder(t, data, mdl, rows1)
	if _, err := Run(ctx, cfg, data, mdl, one, Part{0, 1}, Options{}); !errors.Is(err, dataset.ErrCommitted) {
		t.Fatalf("re-run = %v; want ErrCommitted", err)
	}
}

// The stored encoding of a row is E(row) in HWC.
func checkAgainstEncoder(t *testing.T, data *dataset.Dataset, mdl *train.Model, rows *dataset.Batch) {
	enc, err := model.NewEncoder(mdl.Meta.Arch, mdl.Params, 1)
	if err != nil {
		t.Fatal(err)
	}
	for b, err := range data.Scan(ctx, dataset.ScanOptions{RowLo: 17, RowHi: 18}) {
		if err != nil {
			t.Fatal(err)
		}
		m := data.Manifest
		z, err := enc.Run(model.ToNCHW(b.Float32(m.Scale, m.Offset), 1, 8, 8, 1))
		if err != nil {
			t.Fatal(err)
		}
		want := model.ToHWC(z, 1, 4, 4, 3)
		if rows.IDs[17] != b.IDs[0] || !slices.Equal(rows.Row(17).([]float32), want) {
			t.Fatalf("row %s: stored encoding is not E(row)", b.IDs[0])
		}
	}
}

func TestEncodeErrors(t *testing.T) {
	data := datasettest.Blobs(t, 24, 8, 8, 1)
	mdl := trained(t, data)
	other := datasettest.Blobs(t, 24, 16, 16, 1)
	if _, err := Run(ctx, DefaultConfig(), other, mdl, mem(t), Part{0, 1}, Options{}); err == nil || !strings.Contains(err.Error(), "level chain mismatch") {
		t.Fatalf("wrong shape: %v", err)
	}
	out := mem(t)
	if _, err := Run(ctx, DefaultConfig(), data, mdl, out, Part{0, 2}, Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Finalize(ctx, DefaultConfig(), data, mdl, out, 2, Options{}); err == nil || !strings.Contains(err.Error(), "--shard 1/2") {
		t.Fatalf("finalize with a part missing: %v", err)
	}
	for _, s := range []string{"3/3", "x", "1/0", "-1/2"} {
		if _, err := ParsePart(s); err == nil {
			t.Errorf("ParsePart(%q) accepted", s)
		}
	}
}

// 1, 2 and 5 parts commit byte-identical datasets; a part run again after
// it finished is reused, and one whose shard was damaged is encoded again.
func TestPartsAreByteIdenticalAndReused(t *testing.T) {
	data := datasettest.Blobs(t, 50, 8, 8, 1)
	mdl := trained(t, data)
	cfg := DefaultConfig()
	cfg.Batch, cfg.ShardRows = 7, 12 // 5 shards
	var want *dataset.Manifest
	for _, n := range []int{1, 2, 5} {
		out := mem(t)
		var m *dataset.Manifest
		var err error
		if n == 1 {
			m, err = Run(ctx, cfg, data, mdl, out, Part{0, 1}, Options{})
		} else {
			for i := n - 1; i >= 0; i-- {
				if _, err := Run(ctx, cfg, data, mdl, out, Part{i, n}, Options{}); err != nil {
					t.Fatal(err)
				}
			}
			encoded := 0
			count := Options{Progress: func(int, int) { encoded++ }}
			if _, err := Run(ctx, cfg, data, mdl, out, Part{1, n}, count); err != nil || encoded != 0 {
				t.Fatalf("%d parts: re-running a finished part encoded %d batches (%v)", n, encoded, err)
			}
			first, _ := out.ReadAll(ctx, "part-00000.parquet")
			if err := out.WriteAll(ctx, "part-00000.parquet", first[:len(first)/2]); err != nil {
				t.Fatal(err)
			}
			if _, err := Run(ctx, cfg, data, mdl, out, Part{0, n}, count); err != nil || encoded == 0 {
				t.Fatalf("%d parts: a part with a damaged shard was not encoded again (%v)", n, err)
			}
			m, err = Finalize(ctx, cfg, data, mdl, out, n, Options{})
		}
		if err != nil {
			t.Fatalf("%d parts: %v", n, err)
		}
		if want == nil {
			want = m
			continue
		}
		for i, s := range want.Shards {
			if m.Shards[i].SHA256 != s.SHA256 || m.Shards[i].Bytes != s.Bytes {
				t.Fatalf("%d parts: shard %d differs from the single run's", n, i)
			}
		}
	}
}
