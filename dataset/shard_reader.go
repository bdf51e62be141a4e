package dataset

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stackae/stackae/storage"
)

// shardReader reads one shard row group at a time over ranged reads.
type shardReader struct {
	key     string
	pf      *file.Reader
	fr      *pqarrow.FileReader
	m       *Manifest
	scratch featureScratch
}

func openShard(ctx context.Context, b *storage.Bucket, key string, m *Manifest, mem memory.Allocator) (*shardReader, error) {
	ra, err := b.OpenReaderAt(ctx, key)
	if err != nil {
		return nil, err
	}
	props := parquet.NewReaderProperties(mem)
	props.BufferedStreamEnabled = true
	props.BufferSize = 1 << 20
	pf, err := file.NewParquetReader(ra, file.WithReadProps(props))
	if err != nil {
		return nil, fmt.Errorf("%s: not a readable Parquet file: %w", b.KeyURL(key), err)
	}
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, mem)
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("%s: %w", b.KeyURL(key), err)
	}
	sr := &shardReader{key: key, pf: pf, fr: fr, m: m}
	schema, err := fr.Schema()
	if err == nil {
		err = checkSchema(schema, m)
	}
	if err == nil {
		kv := pf.MetaData().KeyValueMetadata()
		if got := kv.FindValue(KeyShape); got == nil || *got != m.Shape.json() {
			err = fmt.Errorf("footer %s does not match the manifest's shape %s", KeyShape, m.Shape.json())
		}
	}
	if err != nil {
		pf.Close()
		return nil, fmt.Errorf("%s: %w", b.KeyURL(key), err)
	}
	return sr, nil
}

func (r *shardReader) numRowGroups() int { return r.pf.NumRowGroups() }

func (r *shardReader) close() { _ = r.pf.Close() }

// readRowGroup decodes row group rg into a Batch (copied out of Arrow
// memory): id, label and split through pqarrow, features by readFeatures.
func (r *shardReader) readRowGroup(ctx context.Context, rg int) (*Batch, error) {
	rows := r.pf.MetaData().RowGroup(rg).NumRows()
	rr, err := r.fr.GetRecordReader(ctx, []int{0, 1, 2}, []int{rg})
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	out := NewBatch(r.m.Shape, r.m.DType, int(rows))
	for rr.Next() {
		if err := appendRecord(out, rr.RecordBatch()); err != nil {
			return nil, err
		}
	}
	if err := rr.Err(); err != nil {
		return nil, err
	}
	if int64(out.Len()) != rows {
		return nil, fmt.Errorf("row group %d: %d rows, the footer says %d", rg, out.Len(), rows)
	}
	if err := r.readFeatures(rg, rows, out); err != nil {
		return nil, err
	}
	return out, nil
}

// appendRecord appends the id, label and split columns of rec to out.
func appendRecord(out *Batch, rec arrow.RecordBatch) error {
	ids, ok1 := rec.Column(0).(*array.String)
	labels, ok2 := rec.Column(1).(*array.Int32)
	splits, ok3 := rec.Column(2).(*array.String)
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("unexpected column types %s", rec.Schema())
	}
	for i := range int(rec.NumRows()) {
		out.IDs = append(out.IDs, ids.Value(i))
		out.Splits = append(out.Splits, splits.Value(i))
		if labels.IsNull(i) {
			out.Labels = append(out.Labels, NoLabel)
		} else {
			out.Labels = append(out.Labels, labels.Value(i))
		}
	}
	return nil
}
