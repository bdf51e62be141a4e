package dataset

import "fmt"

// Batch is a run of rows in columnar form. Exactly one of U8 and F32 holds
// the features, len = Len()*Shape.Size(), each row HWC.
type Batch struct {
	Shape  Shape
	IDs    []string
	Labels []int32 // NoLabel for none
	Splits []string
	U8     []uint8
	F32    []float32
}

// NewBatch returns an empty batch with room for rows rows of shape.
func NewBatch(shape Shape, dt DType, rows int) *Batch {
	b := &Batch{Shape: shape, IDs: make([]string, 0, rows), Labels: make([]int32, 0, rows), Splits: make([]string, 0, rows)}
	if dt == Float32 {
		b.F32 = make([]float32, 0, rows*shape.Size())
	} else {
		b.U8 = make([]uint8, 0, rows*shape.Size())
	}
	return b
}

// Len returns the number of rows.
func (b *Batch) Len() int { return len(b.IDs) }

// DType reports which features slice is in use.
func (b *Batch) DType() DType {
	if b.F32 != nil {
		return Float32
	}
	return Uint8
}

// Append adds one row; features must be a []uint8 or []float32 of Shape.Size().
func (b *Batch) Append(id string, label int32, split string, features any) {
	b.IDs = append(b.IDs, id)
	b.Labels = append(b.Labels, label)
	b.Splits = append(b.Splits, split)
	switch f := features.(type) {
	case []uint8:
		b.U8 = append(b.U8, f...)
	case []float32:
		b.F32 = append(b.F32, f...)
	default:
		panic(fmt.Sprintf("dataset: features of type %T", features))
	}
}

// Reset empties the batch, keeping its capacity.
func (b *Batch) Reset() {
	b.IDs, b.Labels, b.Splits = b.IDs[:0], b.Labels[:0], b.Splits[:0]
	if b.U8 != nil {
		b.U8 = b.U8[:0]
	}
	if b.F32 != nil {
		b.F32 = b.F32[:0]
	}
}

// Row returns row i's features as a sub-slice ([]uint8 or []float32).
func (b *Batch) Row(i int) any {
	n := b.Shape.Size()
	if b.F32 != nil {
		return b.F32[i*n : (i+1)*n]
	}
	return b.U8[i*n : (i+1)*n]
}

// slice returns rows [lo, hi) as a view.
func (b *Batch) slice(lo, hi int64) *Batch {
	if lo == 0 && hi == int64(b.Len()) {
		return b
	}
	n := int64(b.Shape.Size())
	// Capacities end at hi: appending to the view copies, never overwriting
	// the rows after it.
	out := &Batch{Shape: b.Shape, IDs: b.IDs[lo:hi:hi], Labels: b.Labels[lo:hi:hi], Splits: b.Splits[lo:hi:hi]}
	if b.F32 != nil {
		out.F32 = b.F32[lo*n : hi*n : hi*n]
	} else {
		out.U8 = b.U8[lo*n : hi*n : hi*n]
	}
	return out
}

// Float32 returns the real values (stored*scale + offset) of all rows.
func (b *Batch) Float32(scale, offset float64) []float32 {
	if b.F32 != nil && scale == 1 && offset == 0 {
		return b.F32
	}
	out := make([]float32, len(b.U8)+len(b.F32))
	s, o := float32(scale), float32(offset)
	for i, v := range b.U8 {
		out[i] = float32(v)*s + o
	}
	for i, v := range b.F32 {
		out[i] = v*s + o
	}
	return out
}

func (b *Batch) check(m *Manifest) error {
	n := b.Len()
	if len(b.Labels) != n || len(b.Splits) != n {
		return fmt.Errorf("batch columns disagree: %d ids, %d labels, %d splits", n, len(b.Labels), len(b.Splits))
	}
	if b.Shape != m.Shape {
		return fmt.Errorf("batch shape %s, dataset is %s", b.Shape, m.Shape)
	}
	if b.DType() != m.DType {
		return fmt.Errorf("batch holds %s features, dataset is %s", b.DType(), m.DType)
	}
	if got := len(b.U8) + len(b.F32); got != n*m.Shape.Size() {
		return fmt.Errorf("batch has %d feature values for %d rows of %s", got, n, m.Shape)
	}
	for i, s := range b.Splits {
		if s != Train && s != Validation {
			return fmt.Errorf("row %s: split %q (want train or validation)", b.IDs[i], s)
		}
	}
	return nil
}
