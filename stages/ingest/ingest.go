package ingest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"log/slog"
	"path"
	"runtime"
	"time"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

// Options are the run-time settings of one ingest run (not part of lineage).
type Options struct {
	RunID, Version string
	Overwrite      bool
	// Progress is called as rows are written; total is -1 when unknown.
	Progress func(done, total int)
	Log      *slog.Logger
}

// Run ingests cfg.From into a level-0 dataset at out. It returns an error
// wrapping dataset.ErrCommitted when out already holds this very dataset.
func Run(ctx context.Context, cfg Config, out *storage.Bucket, opts Options) (*dataset.Manifest, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	src, norm, tmpl, err := plan(ctx, cfg, out.URL(), opts)
	if err != nil {
		return nil, err
	}
	w, err := dataset.Create(ctx, out, tmpl, dataset.WriteOptions{ShardBytes: int64(cfg.ShardMB) << 20, Overwrite: opts.Overwrite})
	if err != nil {
		return nil, err
	}
	opts.Log.Info("ingest started", "from", cfg.From, "to", out.URL(), "shape", tmpl.Shape.String())
	start := time.Now()
	if err := pipeline(ctx, cfg, src, norm, w, opts); err != nil {
		w.Abort()
		return nil, err
	}
	m, err := w.Commit()
	if err != nil {
		return nil, err
	}
	opts.Log.Info("ingest committed", "to", out.URL(), "rows", m.Rows, "shards", len(m.Shards), "seconds", time.Since(start).Seconds())
	return m, nil
}

// Template is the manifest template (with its lineage) an ingest of cfg
// into outURL would commit, computed without writing: `run --explain`
// compares its identity with what is committed.
func Template(ctx context.Context, cfg Config, outURL string, opts Options) (dataset.Manifest, error) {
	if err := cfg.Validate(); err != nil {
		return dataset.Manifest{}, err
	}
	_, _, tmpl, err := plan(ctx, cfg, outURL, opts)
	return tmpl, err
}

func plan(ctx context.Context, cfg Config, outURL string, opts Options) (*source, normalizer, dataset.Manifest, error) {
	src, err := openSource(cfg.From)
	if err != nil {
		return nil, normalizer{}, dataset.Manifest{}, err
	}
	norm, err := targetShape(ctx, cfg, src)
	if err != nil {
		return nil, norm, dataset.Manifest{}, err
	}
	fp, err := src.fingerprint()
	if err != nil {
		return nil, norm, dataset.Manifest{}, fmt.Errorf("ingest %s: fingerprint: %w", cfg.From, err)
	}
	tmpl, err := manifestTemplate(cfg, src, norm, outURL, fp, opts)
	return src, norm, tmpl, err
}

// targetShape decides the output shape from the config or the first image.
func targetShape(ctx context.Context, cfg Config, src *source) (normalizer, error) {
	h, w, _ := cfg.size()
	c := cfg.Channels
	if c == 0 {
		c = src.channels
	}
	if h > 0 {
		return normalizer{h: h, w: w, c: c}, nil
	}
	for it, err := range src.items(ctx) {
		if err != nil {
			return normalizer{}, err
		}
		img, err := it.decode()
		if err != nil {
			return normalizer{}, err
		}
		b := img.Bounds()
		return normalizer{h: b.Dy(), w: b.Dx(), c: c}, nil
	}
	return normalizer{}, fmt.Errorf("ingest %s: no images found", cfg.From)
}

func manifestTemplate(cfg Config, src *source, n normalizer, outURL, fp string, opts Options) (dataset.Manifest, error) {
	name := cfg.Name
	if name == "" {
		name = path.Base(outURL)
	}
	classes := src.classes
	if len(cfg.Classes) > 0 {
		classes = cfg.Classes
	}
	// The hash covers how pixels are made, not where the input lies (the
	// input's content is in the fingerprint) nor how fast (workers).
	hashed := cfg
	hashed.From, hashed.Workers, hashed.Name = src.kind, 0, ""
	canon, err := json.Marshal(struct {
		Config
		Shape [3]int
	}{hashed, [3]int{n.h, n.w, n.c}})
	if err != nil {
		return dataset.Manifest{}, err
	}
	sum := sha256.Sum256(canon)
	return dataset.Manifest{
		Name: name, Level: 0, Shape: dataset.Shape{n.h, n.w, n.c}, DType: dataset.Uint8,
		Scale: 2.0 / 255, Offset: -1, Classes: classes,
		Lineage: dataset.Lineage{
			Input:      src.input(fp),
			ConfigHash: hex.EncodeToString(sum[:]), StackaeVersion: opts.Version,
			RunID: opts.RunID, CreatedAt: time.Now().UTC().Truncate(time.Second),
		},
	}, nil
}

// splitOf assigns a row to a split from its id alone, so the assignment is
// the same on every run, machine and worker count.
func splitOf(id string, validation float64) string {
	h := fnv.New64a()
	h.Write([]byte(id))
	if float64(h.Sum64()%1_000_000) < validation*1_000_000 {
		return dataset.Validation
	}
	return dataset.Train
}

func workers(cfg Config) int {
	if cfg.Workers > 0 {
		return cfg.Workers
	}
	return runtime.NumCPU()
}
