package ingest

import (
	"context"
	"fmt"
	"io"
	"iter"
)

func idxSource(path string) (*source, error) {
	pairs, err := findIDX(path)
	if err != nil {
		return nil, fmt.Errorf("ingest idx:%s: %w", path, err)
	}
	total := 0
	for _, p := range pairs {
		rc, err := openMaybeGzip(p.images)
		if err != nil {
			return nil, err
		}
		dims, err := idxHeader(rc, p.images, idxImagesMagic, 3)
		rc.Close()
		if err != nil {
			return nil, err
		}
		total += dims[0]
	}
	var files []string
	for _, p := range pairs {
		files = append(files, p.images, p.labels)
	}
	return &source{
		kind: "idx", path: path, total: total, channels: 1,
		items:       func(ctx context.Context) iter.Seq2[item, error] { return idxItems(ctx, pairs) },
		fingerprint: func() (string, error) { return hashFiles(files) },
	}, nil
}

func idxItems(ctx context.Context, pairs []idxPair) iter.Seq2[item, error] {
	return func(yield func(item, error) bool) {
		for _, p := range pairs {
			if !idxPairItems(ctx, p, yield) {
				return
			}
		}
	}
}

func idxPairItems(ctx context.Context, p idxPair, yield func(item, error) bool) bool {
	labels, err := readLabels(p.labels)
	if err != nil {
		return yield(item{}, err)
	}
	rc, err := openMaybeGzip(p.images)
	if err != nil {
		return yield(item{}, err)
	}
	defer rc.Close()
	dims, err := idxHeader(rc, p.images, idxImagesMagic, 3)
	if err != nil {
		return yield(item{}, err)
	}
	if dims[0] != len(labels) {
		return yield(item{}, fmt.Errorf("%s has %d images but %s has %d labels", p.images, dims[0], p.labels, len(labels)))
	}
	h, w := dims[1], dims[2]
	for i := range dims[0] {
		if err := ctx.Err(); err != nil {
			return yield(item{}, err)
		}
		pix := make([]uint8, h*w)
		if _, err := io.ReadFull(rc, pix); err != nil {
			return yield(item{}, fmt.Errorf("%s: truncated at image %d of %d: %w", p.images, i, dims[0], err))
		}
		it := item{id: fmt.Sprintf("%s-%05d", p.prefix, i), label: int32(labels[i]), where: fmt.Sprintf("%s[%d]", p.images, i), img: grayImage(pix, h, w)}
		if !yield(it, nil) {
			return false
		}
	}
	return true
}
