package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"strings"

	"gocloud.dev/blob"
)

// Bucket is a root in object storage (a bucket plus an optional prefix) with
// validated keys and errors that name the full location.
type Bucket struct {
	b      *blob.Bucket
	prefix string // "" or "dir/sub/", prepended to every key
	url    string
	owner  bool // Close closes b
	// link commits conditional writes atomically across processes (file://).
	link *linkCommitter
}

// Object describes a listed key.
type Object struct {
	Key  string
	Size int64
}

// URL returns the bucket's root URL (never containing credentials).
func (b *Bucket) URL() string { return b.url }

// KeyURL returns the URL of key under this bucket.
func (b *Bucket) KeyURL(key string) string { return joinURL(b.url, key) }

// Close releases the bucket; closing a Sub bucket does nothing.
func (b *Bucket) Close() error {
	if !b.owner {
		return nil
	}
	return b.b.Close()
}

func (b *Bucket) full(key string) string { return b.prefix + key }

// NewReader opens key for streaming.
func (b *Bucket) NewReader(ctx context.Context, key string) (io.ReadCloser, error) {
	if err := ValidateKey(key); err != nil {
		return nil, b.wrap("read", key, err)
	}
	r, err := b.b.NewReader(ctx, b.full(key), nil)
	if err != nil {
		return nil, b.wrap("read", key, err)
	}
	return r, nil
}

// ReadAll reads a whole (small) object.
func (b *Bucket) ReadAll(ctx context.Context, key string) ([]byte, error) {
	if err := ValidateKey(key); err != nil {
		return nil, b.wrap("read", key, err)
	}
	data, err := b.b.ReadAll(ctx, b.full(key))
	return data, b.wrap("read", key, err)
}

// Size returns the size of key in bytes.
func (b *Bucket) Size(ctx context.Context, key string) (int64, error) {
	if err := ValidateKey(key); err != nil {
		return 0, b.wrap("stat", key, err)
	}
	a, err := b.b.Attributes(ctx, b.full(key))
	if err != nil {
		return 0, b.wrap("stat", key, err)
	}
	return a.Size, nil
}

// Exists reports whether key exists.
func (b *Bucket) Exists(ctx context.Context, key string) (bool, error) {
	if err := ValidateKey(key); err != nil {
		return false, b.wrap("stat", key, err)
	}
	ok, err := b.b.Exists(ctx, b.full(key))
	return ok, b.wrap("stat", key, err)
}

// Delete removes key; deleting a missing key is not an error.
func (b *Bucket) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return b.wrap("delete", key, err)
	}
	err := b.b.Delete(ctx, b.full(key))
	if err != nil && errors.Is(b.wrap("delete", key, err), ErrNotFound) {
		return nil
	}
	return b.wrap("delete", key, err)
}

// List yields the objects under prefix ("" for all), in key order.
func (b *Bucket) List(ctx context.Context, prefix string) iter.Seq2[Object, error] {
	return func(yield func(Object, error) bool) {
		it := b.b.List(&blob.ListOptions{Prefix: b.full(prefix)})
		for {
			obj, err := it.Next(ctx)
			if err == io.EOF {
				return
			}
			if err != nil {
				yield(Object{}, b.wrap("list", prefix, err))
				return
			}
			if obj.IsDir {
				continue
			}
			if !yield(Object{Key: strings.TrimPrefix(obj.Key, b.prefix), Size: obj.Size}, nil) {
				return
			}
		}
	}
}

// WriteAll writes data to key, replacing any previous object atomically.
func (b *Bucket) WriteAll(ctx context.Context, key string, data []byte) error {
	w, err := b.NewWriter(ctx, key)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Abort()
		return err
	}
	return w.Close()
}

// WriteIfAbsent writes data to key only if key does not exist yet. If it
// exists with exactly these bytes (a retried request whose first attempt
// committed, or the same commit made twice) it succeeds; with other bytes it
// returns an error matching ErrExists.
func (b *Bucket) WriteIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := ValidateKey(key); err != nil {
		return b.wrap("write", key, err)
	}
	var err error
	if b.link != nil {
		err = b.link.writeIfAbsent(ctx, key, data)
	} else {
		err = b.b.WriteAll(ctx, b.full(key), data, &blob.WriterOptions{IfNotExist: true})
	}
	err = b.wrap("write", key, err)
	if !errors.Is(err, ErrExists) {
		return err
	}
	have, rerr := b.ReadAll(ctx, key)
	if rerr == nil && bytes.Equal(have, data) {
		return nil
	}
	return &Error{Op: "write", URL: b.url, Key: key, Err: fmt.Errorf("%w (conditional write refused)", ErrExists)}
}
