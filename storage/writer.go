package storage

import (
	"context"

	"gocloud.dev/blob"
)

// Writer streams one object. Nothing is visible at the key until Close
// returns nil; Abort (or a failed Close) leaves the key as it was.
type Writer struct {
	w      *blob.Writer
	cancel context.CancelFunc
	b      *Bucket
	key    string
	done   bool
}

// NewWriter starts writing key. Large objects are uploaded in parts.
func (b *Bucket) NewWriter(ctx context.Context, key string) (*Writer, error) {
	if err := ValidateKey(key); err != nil {
		return nil, b.wrap("write", key, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	w, err := b.b.NewWriter(ctx, b.full(key), &blob.WriterOptions{ContentType: "application/octet-stream"})
	if err != nil {
		cancel()
		return nil, b.wrap("write", key, err)
	}
	return &Writer{w: w, cancel: cancel, b: b, key: key}, nil
}

// Write implements io.Writer.
func (w *Writer) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	return n, w.b.wrap("write", w.key, err)
}

// Close commits the object.
func (w *Writer) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	defer w.cancel()
	return w.b.wrap("write", w.key, w.w.Close())
}

// Abort discards everything written; the key keeps its previous state.
func (w *Writer) Abort() {
	if w.done {
		return
	}
	w.done = true
	w.cancel()
	_ = w.w.Close()
}
