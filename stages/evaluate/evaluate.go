// Package evaluate measures a stack on a level-0 dataset's validation
// split: the full-stack loss in pixels when reconstructing from each level,
// and each level's own loss in its input space; and draws originals beside
// the reconstruction from each level.
package evaluate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/preview"
	"github.com/stackae/stackae/stages/stack"
)

// Config is the eval job's configuration (config key "eval").
type Config struct {
	// MaxRows caps the validation rows evaluated (0: all).
	MaxRows int `mapstructure:"max_rows" yaml:"max_rows" json:"max_rows"`
	// Images is the number of originals in the reconstruction PNG.
	Images int `mapstructure:"images" yaml:"images" json:"images"`
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config { return Config{MaxRows: 2048, Images: 12} }

// Validate names the first bad field.
func (c Config) Validate() error {
	if c.MaxRows < 0 || c.Images < 1 {
		return fmt.Errorf("eval.max_rows %d / eval.images %d: want >= 0 and >= 1", c.MaxRows, c.Images)
	}
	return nil
}

// Report is eval.json.
type Report struct {
	Data  string   `json:"data"`
	Stack []string `json:"stack"`
	Rows  int      `json:"rows"`
	// Identity hashes the data manifest, the checkpoints and the config: an
	// eval.json with the same identity need not be computed again.
	Identity string `json:"identity"`
	// FullStack[j] is the pixel MSE (values in [-1,1]) of x against
	// D_1..D_{j+1}(E_{j+1}..E_1(x)): reconstruction from level j+1.
	FullStack []float64 `json:"full_stack_mse"`
	// LevelLocal[j] is level j+1's own loss: MSE between its input and
	// D_{j+1}(E_{j+1}(input)), in that input's space.
	LevelLocal []float64 `json:"level_local_mse"`
}

// Run evaluates s on data, which must be s's level-0 input.
func Run(ctx context.Context, cfg Config, s *stack.Stack, data *dataset.Dataset, batch int) (*Report, *image.RGBA, error) {
	if err := cfg.Validate(); err != nil {
		return nil, nil, err
	}
	if err := s.Check(data); err != nil {
		return nil, nil, err
	}
	acc := newAccumulator(s, cfg)
	m := data.Manifest
	for b, err := range data.Scan(ctx, dataset.ScanOptions{Split: dataset.Validation, BatchSize: batch}) {
		if err != nil {
			return nil, nil, err
		}
		n := b.Len()
		if cfg.MaxRows > 0 {
			n = min(n, cfg.MaxRows-acc.rows)
		}
		x := model.ToNCHW(b.Float32(m.Scale, m.Offset), b.Len(), m.Shape[0], m.Shape[1], m.Shape[2])[:n*m.Shape.Size()]
		if err := acc.add(x, n, m.Shape); err != nil {
			return nil, nil, err
		}
		if cfg.MaxRows > 0 && acc.rows >= cfg.MaxRows {
			break
		}
	}
	if acc.rows == 0 {
		return nil, nil, fmt.Errorf("eval %s: no validation rows", data.URL())
	}
	rep := acc.report(Identity(cfg, s, data), data.URL())
	return rep, drawGallery(acc.gallery, m.Shape), nil
}

// accumulator sums squared errors per level over batches.
type accumulator struct {
	s            *stack.Stack
	images       int
	full, local  []float64
	localN       []int
	pixels, rows int
	gallery      [][][]float32 // [row: originals, level 1..k][image] HWC
}

func newAccumulator(s *stack.Stack, cfg Config) *accumulator {
	k := s.Depth()
	return &accumulator{s: s, images: cfg.Images, full: make([]float64, k), local: make([]float64, k), localN: make([]int, k)}
}

// add encodes n NCHW rows x down the stack and decodes them back from each level.
func (a *accumulator) add(x []float32, n int, shape dataset.Shape) error {
	hs, err := a.s.Encode(x)
	if err != nil {
		return err
	}
	recs := make([][]float32, a.s.Depth())
	for j := 1; j <= a.s.Depth(); j++ {
		if recs[j-1], err = a.s.Decode(hs[j], j); err != nil {
			return err
		}
		a.full[j-1] += sse(recs[j-1], x)
		y, err := a.s.DecodeLevel(hs[j], j)
		if err != nil {
			return err
		}
		a.local[j-1] += sse(y, hs[j-1])
		a.localN[j-1] += len(y)
	}
	a.pixels += len(x)
	a.rows += n
	a.gallery = collect(a.gallery, a.images, shape, x, recs, n)
	return nil
}

func (a *accumulator) report(identity, data string) *Report {
	rep := &Report{Data: data, Rows: a.rows, Identity: identity}
	for i, l := range a.s.Levels {
		rep.Stack = append(rep.Stack, l.URL)
		rep.FullStack = append(rep.FullStack, a.full[i]/float64(a.pixels))
		rep.LevelLocal = append(rep.LevelLocal, a.local[i]/float64(a.localN[i]))
	}
	return rep
}

// Identity is the lineage of an evaluation: data, checkpoints, settings.
func Identity(cfg Config, s *stack.Stack, data *dataset.Dataset) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%d %d\n", data.ManifestSHA256, cfg.MaxRows, cfg.Images)
	for _, l := range s.Levels {
		fmt.Fprintln(h, l.SHA256)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sse(a, b []float32) float64 {
	var s float64
	for i := range a {
		d := float64(a[i] - b[i])
		s += d * d
	}
	return s
}

// collect keeps the first `want` originals and their reconstructions, HWC.
func collect(g [][][]float32, want int, shape dataset.Shape, x []float32, recs [][]float32, n int) [][][]float32 {
	if g == nil {
		g = make([][][]float32, len(recs)+1)
	}
	size := shape.Size()
	take := min(n, want-len(g[0]))
	for row, src := range append([][]float32{x}, recs...) {
		hwc := model.ToHWC(src[:take*size], take, shape[0], shape[1], shape[2])
		for i := range take {
			g[row] = append(g[row], hwc[i*size:(i+1)*size])
		}
	}
	return g
}

// drawGallery: row 0 the originals, row j the reconstructions from level j.
func drawGallery(g [][][]float32, shape dataset.Shape) *image.RGBA {
	var tiles [][]float32
	for _, row := range g {
		tiles = append(tiles, row...)
	}
	return preview.Tiles(tiles, shape, len(g[0]), 48)
}
