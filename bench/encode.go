package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
	"github.com/stackae/stackae/storage/s3test"
)

// encodeRun is one `stackae encode` process.
type encodeRun struct {
	where string
	rows  int
	res   result
}

func (r encodeRun) rate() float64 { return float64(r.rows) / r.res.Wall.Seconds() }

// encodeResults are the end-to-end encode runs: the small and large input
// on file://, and the large one on the S3 test server.
type encodeResults struct {
	small, large, s3 encodeRun
	s3Skipped        string
}

// encodeBench writes synthetic level-0 datasets (64x64x3 uint8), trains a
// level-1 model for one batch (its weights do not change the cost) and
// times `stackae encode` over them as separate processes.
func (o options) encodeBench(ctx context.Context) (encodeResults, error) {
	var res encodeResults
	dir, err := o.workDir()
	if err != nil {
		return res, err
	}
	if o.keep == "" {
		defer os.RemoveAll(dir)
	}
	cfg := storage.DefaultConfig()
	small, large, mdl := filepath.Join(dir, "l0-small"), filepath.Join(dir, "l0-large"), filepath.Join(dir, "model")
	if err := writePixels(ctx, small, cfg, o.rows); err != nil {
		return res, err
	}
	if err := writePixels(ctx, large, cfg, 10*o.rows); err != nil {
		return res, err
	}
	fmt.Fprintln(os.Stderr, "encode: training a level-1 model for one batch")
	if _, err := measure(ctx, nil, false, o.stackae, "train", "--data", small, "--model", mdl, "--max-steps", "1", "--val-batches", "1"); err != nil {
		return res, err
	}
	run := func(env []string, where, data, to string, rows int) (encodeRun, error) {
		fmt.Fprintf(os.Stderr, "encode: %d rows on %s\n", rows, where)
		args := []string{"encode", "--data", data, "--model", mdl, "--to", to}
		if o.keep != "" {
			args = append(args, "--cpuprofile", filepath.Join(o.keep, fmt.Sprintf("encode-%s-%d.prof", strings.SplitN(where, ":", 2)[0], rows)))
		}
		r, err := measure(ctx, env, false, o.stackae, args...)
		return encodeRun{where: where, rows: rows, res: r}, err
	}
	if res.small, err = run(nil, "file://", small, filepath.Join(dir, "out-small"), o.rows); err != nil {
		return res, err
	}
	if res.large, err = run(nil, "file://", large, filepath.Join(dir, "out-large"), 10*o.rows); err != nil {
		return res, err
	}
	if o.noS3 {
		res.s3Skipped = "skipped (-no-s3)"
		return res, nil
	}
	srv, err := s3test.Launch(filepath.Join(dir, "s3"), s3test.Options{})
	if err != nil {
		return res, fmt.Errorf("S3 test server: %w", err)
	}
	defer srv.Close()
	bucket, err := srv.NewBucket(ctx, "bench")
	if err != nil {
		return res, err
	}
	if err := writePixels(ctx, bucket+"/l0", srv.Config(), 10*o.rows); err != nil {
		return res, err
	}
	env := []string{"STACKAE_STORAGE_S3_ENDPOINT=" + srv.Endpoint, "STACKAE_STORAGE_S3_ACCESS_KEY_ID=" + srv.AccessKey,
		"STACKAE_STORAGE_S3_SECRET_ACCESS_KEY=" + srv.SecretKey}
	res.s3, err = run(env, "s3:// (versitygw on 127.0.0.1)", bucket+"/l0", bucket+"/out", 10*o.rows)
	return res, err
}

// writePixels commits a level-0 dataset of n random 64x64x3 images at url.
func writePixels(ctx context.Context, url string, cfg storage.Config, n int) error {
	b, err := storage.Open(ctx, url, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	shape := dataset.Shape{64, 64, 3}
	w, err := dataset.Create(ctx, b, dataset.Manifest{Name: "bench", Shape: shape, DType: dataset.Uint8, Scale: 2.0 / 255, Offset: -1,
		Lineage: dataset.Lineage{ConfigHash: "bench-" + strconv.Itoa(n)}}, dataset.WriteOptions{})
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	batch := dataset.NewBatch(shape, dataset.Uint8, 256)
	px := make([]uint8, shape.Size())
	for i := range n {
		for j := range px {
			px[j] = uint8(rng.Uint32())
		}
		split := dataset.Train
		if i%10 == 9 {
			split = dataset.Validation
		}
		batch.Append(fmt.Sprintf("r%06d", i), dataset.NoLabel, split, px)
		if batch.Len() == 256 || i == n-1 {
			if err := w.Write(batch); err != nil {
				w.Abort()
				return err
			}
			batch.Reset()
		}
	}
	_, err = w.Commit()
	return err
}

// workDir is -keep (created fresh) or a temporary directory.
func (o options) workDir() (string, error) {
	if o.keep == "" {
		return os.MkdirTemp("", "stackae-bench-")
	}
	if err := os.RemoveAll(o.keep); err != nil {
		return "", err
	}
	return o.keep, os.MkdirAll(o.keep, 0o755)
}
