package dataset

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
)

// FormatVersion is the on-disk format this package writes and reads.
const FormatVersion = 1

// Column names.
const (
	ColID       = "id"
	ColLabel    = "label"
	ColSplit    = "split"
	ColFeatures = "features"
)

// Footer key-value metadata keys (also present as field metadata where noted),
// so that a reader holding a single shard can rebuild tensors.
const (
	KeyFormatVersion = "stackae.format_version"
	KeyDataset       = "dataset"
	KeyLevel         = "level"
	KeyShape         = "features.shape"
	KeyLayout        = "features.layout"
	KeyDType         = "features.dtype"
	KeyScale         = "features.scale"
	KeyOffset        = "features.offset"
)

// DType is the element type of the features column.
type DType string

// Supported element types.
const (
	Uint8   DType = "uint8"
	Float32 DType = "float32"
)

func (d DType) arrow() (arrow.DataType, error) {
	switch d {
	case Uint8:
		return arrow.PrimitiveTypes.Uint8, nil
	case Float32:
		return arrow.PrimitiveTypes.Float32, nil
	}
	return nil, fmt.Errorf("dtype %q: want uint8 or float32", d)
}

// Shape is a tensor shape [H, W, C].
type Shape [3]int

// Size is H*W*C.
func (s Shape) Size() int { return s[0] * s[1] * s[2] }

// String renders "HxWxC".
func (s Shape) String() string { return fmt.Sprintf("%dx%dx%d", s[0], s[1], s[2]) }

// Validate rejects non-positive dimensions.
func (s Shape) Validate() error {
	if s[0] < 1 || s[1] < 1 || s[2] < 1 {
		return fmt.Errorf("shape %v: every dimension must be >= 1", [3]int(s))
	}
	return nil
}

func (s Shape) json() string {
	b, _ := json.Marshal([3]int(s))
	return string(b)
}

// arrowSchema builds the version-1 schema for m, carrying its metadata.
func arrowSchema(m *Manifest) (*arrow.Schema, error) {
	elem, err := m.DType.arrow()
	if err != nil {
		return nil, err
	}
	fieldMeta := arrow.NewMetadata(
		[]string{"shape", "layout", "dtype"},
		[]string{m.Shape.json(), "HWC", string(m.DType)})
	fileMeta := arrow.NewMetadata(
		[]string{KeyFormatVersion, KeyDataset, KeyLevel, KeyShape, KeyLayout, KeyDType, KeyScale, KeyOffset},
		[]string{strconv.Itoa(FormatVersion), m.Name, strconv.Itoa(m.Level), m.Shape.json(), "HWC", string(m.DType),
			strconv.FormatFloat(m.Scale, 'g', -1, 64), strconv.FormatFloat(m.Offset, 'g', -1, 64)})
	return arrow.NewSchema([]arrow.Field{
		{Name: ColID, Type: arrow.BinaryTypes.String},
		{Name: ColLabel, Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: ColSplit, Type: arrow.BinaryTypes.String},
		{Name: ColFeatures, Type: arrow.FixedSizeListOfNonNullable(int32(m.Shape.Size()), elem), Metadata: fieldMeta},
	}, &fileMeta), nil
}

// checkSchema verifies that a shard's Arrow schema is the one m describes.
func checkSchema(got *arrow.Schema, m *Manifest) error {
	want, err := arrowSchema(m)
	if err != nil {
		return err
	}
	if len(got.Fields()) != len(want.Fields()) {
		return fmt.Errorf("schema has %d columns, want %d (%s)", len(got.Fields()), len(want.Fields()), want)
	}
	for i, wf := range want.Fields() {
		gf := got.Field(i)
		if gf.Name != wf.Name || !arrow.TypeEqual(gf.Type, wf.Type) {
			return fmt.Errorf("column %d is %s %s, want %s %s", i, gf.Name, gf.Type, wf.Name, wf.Type)
		}
	}
	return nil
}
