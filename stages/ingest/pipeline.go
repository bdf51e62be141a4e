package ingest

import (
	"context"
	"fmt"

	"github.com/stackae/stackae/dataset"
)

type job struct {
	seq int
	it  item
}

type result struct {
	seq   int
	id    string
	label int32
	pix   []uint8
	err   error
}

// pipeline decodes items on several workers and writes them in source order.
// Channels are bounded, so memory is a few images per worker plus the
// writer's row group, whatever the number of images.
func pipeline(ctx context.Context, cfg Config, src *source, norm normalizer, w *dataset.Writer, opts Options) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n := workers(cfg)
	jobs := make(chan job, 4*n)
	results := make(chan result, 4*n)
	go produce(ctx, src, jobs, results)
	done := make(chan struct{})
	for range n {
		go func() {
			defer func() { done <- struct{}{} }()
			for j := range jobs {
				results <- decodeOne(j, norm)
			}
		}()
	}
	go func() {
		for range n {
			<-done
		}
		close(results)
	}()
	err := collect(ctx, cfg, src, norm, results, w, opts)
	cancel()
	for range results { // let producer and workers finish
	}
	return err
}

func produce(ctx context.Context, src *source, jobs chan<- job, results chan<- result) {
	defer close(jobs)
	seq := 0
	for it, err := range src.items(ctx) {
		if err != nil { // ordered after every item read before it
			select {
			case results <- result{seq: seq, err: err}:
			case <-ctx.Done():
			}
			return
		}
		select {
		case jobs <- job{seq: seq, it: it}:
			seq++
		case <-ctx.Done():
			return
		}
	}
}

func decodeOne(j job, norm normalizer) result {
	img, err := j.it.decode()
	if err != nil {
		return result{seq: j.seq, err: err}
	}
	pix, err := norm.pixels(img)
	if err != nil {
		return result{seq: j.seq, err: fmt.Errorf("%s: %w", j.it.where, err)}
	}
	return result{seq: j.seq, id: j.it.id, label: j.it.label, pix: pix}
}

// collect restores source order and writes batches. Errors travel in the
// same order, so the error reported is that of the first bad input.
func collect(ctx context.Context, cfg Config, src *source, norm normalizer, results <-chan result, w *dataset.Writer, opts Options) error {
	pending := map[int]result{}
	next, written := 0, 0
	batch := &dataset.Batch{Shape: dataset.Shape{norm.h, norm.w, norm.c}}
	flush := func() error {
		if batch.Len() == 0 {
			return nil
		}
		if err := w.Write(batch); err != nil {
			return err
		}
		written += batch.Len()
		batch.Reset()
		if opts.Progress != nil {
			opts.Progress(written, src.total)
		}
		return nil
	}
	for r := range results {
		pending[r.seq] = r
		for {
			r, ok := pending[next]
			if !ok {
				break
			}
			if r.err != nil { // the first bad input in source order, whatever the workers
				return r.err
			}
			delete(pending, next)
			next++
			batch.Append(r.id, r.label, splitOf(r.id, cfg.Validation), r.pix)
			if batch.Len() == 256 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if written == 0 {
		return fmt.Errorf("ingest %s: no images found", cfg.From)
	}
	return nil
}
