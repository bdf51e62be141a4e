package storage

import (
	"context"
	"fmt"
	"io"
)

// ReaderAt reads ranges of one object: io.ReaderAt + io.ReadSeeker over
// ranged GETs, which is what a Parquet reader needs. Each ReadAt is one
// request; a response body cut short is retried once from where it stopped.
type ReaderAt struct {
	*io.SectionReader
	b    *Bucket
	ctx  context.Context
	key  string
	size int64
}

// OpenReaderAt opens key for random access.
func (b *Bucket) OpenReaderAt(ctx context.Context, key string) (*ReaderAt, error) {
	size, err := b.Size(ctx, key)
	if err != nil {
		return nil, err
	}
	r := &ReaderAt{b: b, ctx: ctx, key: key, size: size}
	r.SectionReader = io.NewSectionReader(rangeReader{r}, 0, size)
	return r, nil
}

// Size returns the object's size.
func (r *ReaderAt) Size() int64 { return r.size }

// Key returns the object's key.
func (r *ReaderAt) Key() string { return r.key }

type rangeReader struct{ r *ReaderAt }

func (rr rangeReader) ReadAt(p []byte, off int64) (int, error) {
	r := rr.r
	if off >= r.size {
		return 0, io.EOF
	}
	want := min(int64(len(p)), r.size-off)
	n := 0
	var err error
	for attempt := 0; attempt < 3 && int64(n) < want; attempt++ {
		var m int
		m, err = r.readRange(p[n:want], off+int64(n))
		n += m
	}
	if int64(n) < want {
		return n, r.b.wrap("read", r.key, fmt.Errorf("range %d+%d: got %d bytes: %w", off, want, n, err))
	}
	if want < int64(len(p)) {
		return n, io.EOF
	}
	return n, nil
}

func (r *ReaderAt) readRange(p []byte, off int64) (int, error) {
	rc, err := r.b.b.NewRangeReader(r.ctx, r.b.full(r.key), off, int64(len(p)), nil)
	if err != nil {
		return 0, err
	}
	defer rc.Close()
	n, err := io.ReadFull(rc, p)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}
