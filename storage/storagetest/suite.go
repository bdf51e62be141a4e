// Package storagetest is the conformance suite every storage driver passes:
// mem://, file:// and real S3-compatible servers over http and https.
package storagetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stackae/stackae/storage"
)

// Opener returns a fresh, empty bucket for one sub-test.
type Opener func(t *testing.T) *storage.Bucket

// Run runs every conformance check against buckets from open.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, b *storage.Bucket)
	}{
		{"RoundTrip", testRoundTrip},
		{"NotFound", testNotFound},
		{"WriteIfAbsent", testWriteIfAbsent},
		{"WriteIfAbsentRace", testWriteIfAbsentRace},
		{"InvisibleUntilClose", testInvisibleUntilClose},
		{"AbortKeepsPrevious", testAbortKeepsPrevious},
		{"LargeMultipart", testLargeMultipart},
		{"ReaderAt", testReaderAt},
		{"List", testList},
		{"Delete", testDelete},
		{"InvalidKeys", testInvalidKeys},
		{"Sub", testSub},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := open(t)
			t.Cleanup(func() { _ = b.Close() })
			tc.fn(t, b)
		})
	}
}

var ctx = context.Background()

func randBytes(t *testing.T, n int) []byte {
	p := make([]byte, n)
	if _, err := rand.Read(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func mustRead(t *testing.T, b *storage.Bucket, key string) []byte {
	t.Helper()
	got, err := b.ReadAll(ctx, key)
	if err != nil {
		t.Fatalf("ReadAll(%s): %v", key, err)
	}
	return got
}

func testRoundTrip(t *testing.T, b *storage.Bucket) {
	for _, key := range []string{"a.bin", "dir/sub/b.bin", "with space/ü.bin"} {
		want := randBytes(t, 1000)
		if err := b.WriteAll(ctx, key, want); err != nil {
			t.Fatalf("WriteAll(%s): %v", key, err)
		}
		if got := mustRead(t, b, key); !bytes.Equal(got, want) {
			t.Fatalf("%s: read %d bytes differ from written", key, len(got))
		}
		if n, err := b.Size(ctx, key); err != nil || n != 1000 {
			t.Fatalf("Size(%s) = %d, %v; want 1000", key, n, err)
		}
	}
	if err := b.WriteAll(ctx, "a.bin", []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, b, "a.bin"); string(got) != "v2" {
		t.Fatalf("overwrite: got %q", got)
	}
}

func testNotFound(t *testing.T, b *storage.Bucket) {
	_, err := b.ReadAll(ctx, "missing/key.json")
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("ReadAll(missing) = %v; want ErrNotFound", err)
	}
	if !strings.Contains(err.Error(), b.KeyURL("missing/key.json")) {
		t.Fatalf("error %q does not name %s", err, b.KeyURL("missing/key.json"))
	}
	if ok, err := b.Exists(ctx, "missing/key.json"); ok || err != nil {
		t.Fatalf("Exists(missing) = %v, %v", ok, err)
	}
	if _, err := b.Size(ctx, "missing"); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("Size(missing) = %v; want ErrNotFound", err)
	}
}

func testWriteIfAbsent(t *testing.T, b *storage.Bucket) {
	if err := b.WriteIfAbsent(ctx, "m/_manifest.json", []byte("one")); err != nil {
		t.Fatalf("first WriteIfAbsent: %v", err)
	}
	if err := b.WriteIfAbsent(ctx, "m/_manifest.json", []byte("one")); err != nil {
		t.Fatalf("identical WriteIfAbsent must succeed (idempotent retry): %v", err)
	}
	err := b.WriteIfAbsent(ctx, "m/_manifest.json", []byte("two"))
	if !errors.Is(err, storage.ErrExists) {
		t.Fatalf("conflicting WriteIfAbsent = %v; want ErrExists", err)
	}
	if got := mustRead(t, b, "m/_manifest.json"); string(got) != "one" {
		t.Fatalf("conflicting write changed the object to %q", got)
	}
}

func testWriteIfAbsentRace(t *testing.T, b *storage.Bucket) {
	const n = 8
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() { errs[i] = b.WriteIfAbsent(ctx, "race.json", fmt.Appendf(nil, "writer %d", i)) })
	}
	wg.Wait()
	winners := 0
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			if got := mustRead(t, b, "race.json"); string(got) != fmt.Sprintf("writer %d", i) {
				t.Fatalf("winner %d but object holds %q", i, got)
			}
		case !errors.Is(err, storage.ErrExists):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if winners != 1 {
		t.Fatalf("%d writers committed; want exactly 1", winners)
	}
}

func testInvisibleUntilClose(t *testing.T, b *storage.Bucket) {
	w, err := b.NewWriter(ctx, "partial.bin")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(randBytes(t, 4096)); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Exists(ctx, "partial.bin"); ok {
		t.Fatal("object visible before Close")
	}
	w.Abort()
	if ok, _ := b.Exists(ctx, "partial.bin"); ok {
		t.Fatal("object visible after Abort")
	}
}

func testAbortKeepsPrevious(t *testing.T, b *storage.Bucket) {
	if err := b.WriteAll(ctx, "keep.bin", []byte("committed")); err != nil {
		t.Fatal(err)
	}
	w, err := b.NewWriter(ctx, "keep.bin")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = w.Write([]byte("half-written replacement"))
	w.Abort()
	if got := mustRead(t, b, "keep.bin"); string(got) != "committed" {
		t.Fatalf("aborted write replaced the object: %q", got)
	}
}

func testLargeMultipart(t *testing.T, b *storage.Bucket) {
	want := randBytes(t, 20<<20+12345) // above the 16 MiB multipart threshold
	w, err := b.NewWriter(ctx, "big/part-00000.parquet")
	if err != nil {
		t.Fatal(err)
	}
	for off := 0; off < len(want); off += 1 << 20 {
		if _, err := w.Write(want[off:min(off+1<<20, len(want))]); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if got := mustRead(t, b, "big/part-00000.parquet"); !bytes.Equal(got, want) {
		t.Fatalf("large object differs (len %d vs %d)", len(got), len(want))
	}
}

func testReaderAt(t *testing.T, b *storage.Bucket) {
	want := randBytes(t, 100_000)
	if err := b.WriteAll(ctx, "ra.bin", want); err != nil {
		t.Fatal(err)
	}
	r, err := b.OpenReaderAt(ctx, "ra.bin")
	if err != nil {
		t.Fatal(err)
	}
	if r.Size() != int64(len(want)) {
		t.Fatalf("Size = %d", r.Size())
	}
	for _, rg := range [][2]int{{0, 10}, {99_990, 10}, {5000, 50_000}, {12345, 1}} {
		p := make([]byte, rg[1])
		if n, err := r.ReadAt(p, int64(rg[0])); err != nil || n != rg[1] || !bytes.Equal(p, want[rg[0]:rg[0]+rg[1]]) {
			t.Fatalf("ReadAt(%d,%d) = %d, %v or wrong bytes", rg[0], rg[1], n, err)
		}
	}
	p := make([]byte, 20)
	if n, err := r.ReadAt(p, 99_990); n != 10 || err != io.EOF {
		t.Fatalf("ReadAt past end = %d, %v; want 10, EOF", n, err)
	}
	if _, err := r.Seek(-8, io.SeekEnd); err != nil {
		t.Fatal(err)
	}
	tail, _ := io.ReadAll(r)
	if !bytes.Equal(tail, want[len(want)-8:]) {
		t.Fatalf("Seek+Read tail wrong")
	}
}

func testList(t *testing.T, b *storage.Bucket) {
	const n = 1100 // over one 1,000-key S3 list page
	for i := range n {
		if err := b.WriteAll(ctx, fmt.Sprintf("ds/part-%05d.parquet", i), []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.WriteAll(ctx, "other/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for obj, err := range b.List(ctx, "ds/") {
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, obj.Key)
	}
	if len(keys) != n {
		t.Fatalf("listed %d keys under ds/; want %d", len(keys), n)
	}
	for i, k := range keys {
		if want := fmt.Sprintf("ds/part-%05d.parquet", i); k != want {
			t.Fatalf("key %d = %q; want %q (sorted)", i, k, want)
		}
	}
}

func testDelete(t *testing.T, b *storage.Bucket) {
	if err := b.WriteAll(ctx, "d/x", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := b.Delete(ctx, "d/x"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := b.Exists(ctx, "d/x"); ok {
		t.Fatal("deleted key still exists")
	}
	if err := b.Delete(ctx, "d/x"); err != nil {
		t.Fatalf("deleting a missing key: %v", err)
	}
}

func testInvalidKeys(t *testing.T, b *storage.Bucket) {
	for _, key := range []string{"", "../escape", "a/../../b", "/abs", "a//b", "a/./b", "back\\slash", "nul\x00"} {
		if err := b.WriteAll(ctx, key, []byte("x")); err == nil || !strings.Contains(err.Error(), "invalid key") {
			t.Errorf("WriteAll(%q) = %v; want an invalid key error", key, err)
		}
		if _, err := b.ReadAll(ctx, key); err == nil {
			t.Errorf("ReadAll(%q) succeeded", key)
		}
	}
}

func testSub(t *testing.T, b *storage.Bucket) {
	sub, err := b.Sub("datasets/fmnist")
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.WriteIfAbsent(ctx, "_manifest.json", []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if got := mustRead(t, b, "datasets/fmnist/_manifest.json"); string(got) != "{}" {
		t.Fatalf("Sub write not under prefix: %q", got)
	}
	if sub.URL() != b.KeyURL("datasets/fmnist") {
		t.Fatalf("Sub URL = %s", sub.URL())
	}
	if _, err := b.Sub("../up"); err == nil {
		t.Fatal("Sub(../up) accepted")
	}
}
