package dataset

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/parquet/file"
)

// featureChunk is how many feature values readFeatures decodes per call
// into its scratch buffers (256 KiB of int32 plus 128 KiB of levels).
const featureChunk = 1 << 16

// featureCol is the leaf column index of features.list.element.
const featureCol = 3

// featureScratch holds the reused buffers of readFeatures.
type featureScratch struct {
	i32  []int32
	reps []int16
}

// readFeatures decodes row group rg's features column straight into out
// (rows*size values appended to out.U8 or out.F32), below pqarrow: the
// generic list reader walks and re-buffers every level of a 12,288-element
// list, which cost encode a tenth of its CPU. Every list must hold exactly
// size non-null values, which the repetition levels and value counts prove.
func (r *shardReader) readFeatures(rg int, rows int64, out *Batch) error {
	col, err := r.pf.RowGroup(rg).Column(featureCol)
	if err != nil {
		return err
	}
	defer col.Close()
	size := int64(r.m.Shape.Size())
	want := rows * size
	var pos int64
	for pos < want {
		n := min(featureChunk, want-pos)
		if int64(cap(r.scratch.reps)) < n {
			r.scratch.reps = make([]int16, n)
		}
		reps := r.scratch.reps[:n]
		var lvls int64
		var vals int
		switch c := col.(type) {
		case *file.Int32ColumnChunkReader:
			lvls, vals, err = r.readU8(c, n, reps, out)
		case *file.Float32ColumnChunkReader:
			out.F32 = slices.Grow(out.F32, int(n))
			dst := out.F32[len(out.F32) : len(out.F32)+int(n)]
			lvls, vals, err = c.ReadBatch(n, dst, nil, reps)
			out.F32 = out.F32[:len(out.F32)+vals]
		default:
			return fmt.Errorf("features column of physical type %s", col.Type())
		}
		if err != nil {
			return err
		}
		if lvls == 0 {
			break
		}
		if int64(vals) != lvls || !listsOf(reps[:lvls], pos, size) {
			return fmt.Errorf("row group %d: features are not lists of exactly %d non-null values", rg, size)
		}
		pos += lvls
	}
	if pos != want {
		return fmt.Errorf("row group %d: %d feature values, want %d rows x %d", rg, pos, rows, size)
	}
	return nil
}

// readU8 decodes up to n INT32-stored uint8 values and appends them to
// out.U8, rejecting values outside 0..255.
func (r *shardReader) readU8(c *file.Int32ColumnChunkReader, n int64, reps []int16, out *Batch) (int64, int, error) {
	if int64(cap(r.scratch.i32)) < n {
		r.scratch.i32 = make([]int32, n)
	}
	buf := r.scratch.i32[:n]
	lvls, vals, err := c.ReadBatch(n, buf, nil, reps)
	if err != nil {
		return 0, 0, err
	}
	var bad int32
	out.U8 = slices.Grow(out.U8, vals)
	dst := out.U8[len(out.U8) : len(out.U8)+vals]
	for i, v := range buf[:vals] {
		bad |= v
		dst[i] = uint8(v)
	}
	out.U8 = out.U8[:len(out.U8)+vals]
	if bad&^0xff != 0 {
		return 0, 0, fmt.Errorf("uint8 features column holds values outside 0..255")
	}
	return lvls, vals, nil
}

// listsOf reports whether reps, the repetition levels of values pos.. of a
// column of lists, start a new list exactly every size values.
func listsOf(reps []int16, pos, size int64) bool {
	k := pos % size
	for _, rep := range reps {
		if (k == 0) != (rep == 0) {
			return false
		}
		if k++; k == size {
			k = 0
		}
	}
	return true
}
