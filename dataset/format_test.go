package dataset

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stackae/stackae/storage"
)

// A single shard, read with nothing but a Parquet library, carries what is
// needed to rebuild tensors, and the features leaf has the intended encoding.
func TestShardIsSelfDescribing(t *testing.T) {
	ctx := context.Background()
	for _, dt := range []DType{Uint8, Float32} {
		t.Run(string(dt), func(t *testing.T) {
			b, _ := storage.Open(ctx, "mem://", storage.DefaultConfig())
			m := Manifest{Name: "fmnist", Level: 2, Shape: Shape{4, 4, 2}, DType: dt, Scale: 2.0 / 255, Offset: -1,
				Lineage: Lineage{ConfigHash: "h"}}
			w, err := Create(ctx, b, m, WriteOptions{})
			if err != nil {
				t.Fatal(err)
			}
			batch := &Batch{Shape: m.Shape}
			if dt == Uint8 {
				batch.Append("a", 1, Train, make([]uint8, 32))
			} else {
				batch.Append("a", 1, Train, make([]float32, 32))
			}
			if err := w.Write(batch); err != nil {
				t.Fatal(err)
			}
			if _, err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			raw, _ := b.ReadAll(ctx, "part-00000.parquet")
			pf, err := file.NewParquetReader(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			kv := pf.MetaData().KeyValueMetadata()
			for k, want := range map[string]string{KeyShape: "[4,4,2]", KeyLayout: "HWC", KeyDType: string(dt), KeyLevel: "2", KeyDataset: "fmnist", KeyFormatVersion: "1", KeyOffset: "-1"} {
				if got := kv.FindValue(k); got == nil || *got != want {
					t.Errorf("footer %s = %v; want %q", k, got, want)
				}
			}
			if kv.FindValue("ARROW:schema") == nil {
				t.Error("ARROW:schema not stored")
			}
			col, err := pf.MetaData().RowGroup(0).ColumnChunk(3)
			if err != nil {
				t.Fatal(err)
			}
			if col.PathInSchema().String() != ColFeatures+".list.element" {
				t.Fatalf("features leaf path %q: writer properties target the wrong column", col.PathInSchema())
			}
			wantEnc := parquet.Encodings.Plain
			if dt == Float32 {
				wantEnc = parquet.Encodings.ByteStreamSplit
			}
			encs := col.Encodings()
			if !containsEnc(encs, wantEnc) {
				t.Errorf("features encodings %v; want %v", encs, wantEnc)
			}
			if set, _ := col.StatsSet(); set {
				t.Error("statistics written for the features leaf")
			}
			fr, _ := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{}, nil)
			schema, _ := fr.Schema()
			if md := schema.Field(3).Metadata; md.FindKey("shape") < 0 || schema.Field(3).Nullable {
				t.Errorf("features field: metadata %v nullable %v", md, schema.Field(3).Nullable)
			}
			if err := checkSchema(schema, &m); err != nil {
				t.Error(err)
			}
		})
	}
}

func containsEnc(encs []parquet.Encoding, e parquet.Encoding) bool {
	for _, x := range encs {
		if x == e {
			return true
		}
	}
	return false
}
