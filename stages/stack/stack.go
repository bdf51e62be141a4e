// Package stack holds the trained levels of a stack in order and runs
// pixels down to any level (E_1..E_k) and encodings back up to pixels
// (D_k..D_1).
package stack

import (
	"context"
	"fmt"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/model"
	"github.com/stackae/stackae/stages/train"
	"github.com/stackae/stackae/storage"
)

// Opener opens a bucket by URL (the job's storage configuration).
type Opener func(ctx context.Context, url string) (*storage.Bucket, error)

// Stack is levels 1..k; Levels[i] is level i+1.
type Stack struct {
	Levels []*train.Model
	batch  int
	enc    []*model.Net
	dec    []*model.Net
}

// Load reads the models at urls (level 1 first) and checks that each one's
// input is the previous one's encoding.
func Load(ctx context.Context, open Opener, urls []string, batch int) (*Stack, error) {
	s := &Stack{batch: batch}
	for _, u := range urls {
		b, err := open(ctx, u)
		if err != nil {
			return nil, err
		}
		m, err := train.LoadModel(ctx, b)
		b.Close()
		if err != nil {
			return nil, err
		}
		s.Levels = append(s.Levels, m)
	}
	return s, s.build()
}

// FromLineage finds the stack that produced a level-k dataset by following
// lineage: the dataset's model, that model's training data, its model, ...
func FromLineage(ctx context.Context, open Opener, d *dataset.Dataset, batch int) (*Stack, error) {
	var urls []string
	m := d.Manifest
	for m.Level > 0 {
		if m.Lineage.Model == nil {
			return nil, fmt.Errorf("dataset %s (level %d) names no model in its lineage; pass --stack", m.Name, m.Level)
		}
		urls = append([]string{m.Lineage.Model.URL}, urls...)
		src, err := openManifest(ctx, open, m.Lineage.Source.URL)
		if err != nil {
			return nil, fmt.Errorf("follow lineage of %s: %w", m.Name, err)
		}
		m = src
	}
	return Load(ctx, open, urls, batch)
}

func openManifest(ctx context.Context, open Opener, url string) (*dataset.Manifest, error) {
	b, err := open(ctx, url)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	d, err := dataset.Open(ctx, b)
	if err != nil {
		return nil, err
	}
	return d.Manifest, nil
}

func (s *Stack) build() error {
	for i, m := range s.Levels {
		if m.Meta.Level != i+1 {
			return fmt.Errorf("stack position %d holds %s, a level-%d model", i+1, m.URL, m.Meta.Level)
		}
		if i > 0 {
			if prev := s.Levels[i-1].Meta.Arch.CodeShape(); prev != m.Meta.Arch.InShape {
				return fmt.Errorf("level chain mismatch: %s encodes to %v but %s takes %v", s.Levels[i-1].URL, prev, m.URL, m.Meta.Arch.InShape)
			}
		}
		enc, err := model.NewEncoder(m.Meta.Arch, m.Params, s.batch)
		if err != nil {
			return err
		}
		dec, err := model.NewDecoder(m.Meta.Arch, m.Params, s.batch)
		if err != nil {
			return err
		}
		s.enc, s.dec = append(s.enc, enc), append(s.dec, dec)
	}
	return nil
}

// Depth is k.
func (s *Stack) Depth() int { return len(s.Levels) }

// InShape is level 1's input (pixels) shape, HWC.
func (s *Stack) InShape() [3]int { return s.Levels[0].Meta.Arch.InShape }

// Check verifies that d is level-0 input for this stack.
func (s *Stack) Check(d *dataset.Dataset) error {
	if d.Manifest.Level != 0 || [3]int(d.Manifest.Shape) != s.InShape() {
		return fmt.Errorf("level chain mismatch: the stack takes level-0 %v pixels, dataset %s is level %d of %s",
			s.InShape(), d.URL(), d.Manifest.Level, d.Manifest.Shape)
	}
	return nil
}

// Encode runs NCHW pixels (n <= batch rows) through E_1..E_k and returns
// the input of every level and the top encoding: out[0] is x, out[i] the
// level-i encoding.
func (s *Stack) Encode(x []float32) ([][]float32, error) {
	out := [][]float32{x}
	for _, e := range s.enc {
		z, err := e.Run(out[len(out)-1])
		if err != nil {
			return nil, err
		}
		out = append(out, z)
	}
	return out, nil
}

// Decode runs a level-`from` NCHW encoding through D_from..D_1 to pixels.
func (s *Stack) Decode(z []float32, from int) ([]float32, error) {
	for i := from - 1; i >= 0; i-- {
		var err error
		if z, err = s.dec[i].Run(z); err != nil {
			return nil, err
		}
	}
	return z, nil
}

// DecodeLevel runs D_level once (level-local reconstruction).
func (s *Stack) DecodeLevel(z []float32, level int) ([]float32, error) {
	return s.dec[level-1].Run(z)
}
