package ingest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stackae/stackae/dataset"
	"github.com/stackae/stackae/storage"
)

var ctx = context.Background()

func ingest(t *testing.T, cfg Config, out *storage.Bucket, overwrite bool) (*dataset.Manifest, error) {
	t.Helper()
	return Run(ctx, cfg, out, Options{RunID: "test", Version: "test", Overwrite: overwrite})
}

func mem(t *testing.T) *storage.Bucket {
	b, err := storage.Open(ctx, "mem://", storage.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func readAll(t *testing.T, b *storage.Bucket) (*dataset.Manifest, *dataset.Batch) {
	t.Helper()
	d, err := dataset.Open(ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Verify(ctx, nil); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	all := &dataset.Batch{Shape: d.Manifest.Shape}
	for batch, err := range d.Scan(ctx, dataset.ScanOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		for i := range batch.Len() {
			all.Append(batch.IDs[i], batch.Labels[i], batch.Splits[i], batch.Row(i))
		}
	}
	return d.Manifest, all
}

func TestIngestIDX(t *testing.T) {
	for _, gz := range []bool{false, true} {
		dir := t.TempDir()
		writeIDX(t, dir, "train", 300, 5, 4, gz)
		writeIDX(t, dir, "t10k", 50, 5, 4, gz)
		out := mem(t)
		cfg := DefaultConfig()
		cfg.From = "idx:" + dir
		cfg.Workers = 3
		m, err := ingest(t, cfg, out, false)
		if err != nil {
			t.Fatal(err)
		}
		if m.Rows != 350 || m.Shape != (dataset.Shape{5, 4, 1}) || m.Lineage.Input.Kind != "idx" {
			t.Fatalf("manifest %+v", m)
		}
		if v := m.Splits[dataset.Validation]; v < 15 || v > 60 {
			t.Fatalf("validation split has %d of 350 rows; want about 10%%", v)
		}
		_, rows := readAll(t, out)
		// Sorted pairs: t10k first, then train; order and pixels preserved.
		if rows.IDs[0] != "t10k-00000" || rows.IDs[50] != "train-00000" || rows.IDs[349] != "train-00299" {
			t.Fatalf("ids out of order: %v %v %v", rows.IDs[0], rows.IDs[50], rows.IDs[349])
		}
		for i, want := range []int{0, 7, 123} {
			row := rows.Row(50 + want).([]uint8)
			if row[0] != uint8(want) || row[5] != uint8(want+1+1) || rows.Labels[50+want] != int32(want%10) {
				t.Fatalf("case %d: row %d pixels %v label %d", i, want, row[:6], rows.Labels[50+want])
			}
		}
	}
}

func TestIngestIsDeterministicAcrossWorkers(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, "train", 500, 6, 6, true)
	var first []byte
	for _, w := range []int{1, 2, 7} {
		out := mem(t)
		cfg := DefaultConfig()
		cfg.From, cfg.Workers = "idx:"+dir, w
		m, err := ingest(t, cfg, out, false)
		if err != nil {
			t.Fatal(err)
		}
		shard, _ := out.ReadAll(ctx, m.Shards[0].Key)
		if first == nil {
			first = shard
		} else if !bytes.Equal(first, shard) {
			t.Fatalf("workers=%d wrote a different shard", w)
		}
	}
}

func TestIngestFolder(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "cats", "a.png"), pngBytes(t, 40, 60, color.NRGBA{255, 0, 0, 255}), false)
	writeFile(t, filepath.Join(dir, "cats", "deep", "b.PNG"), pngBytes(t, 32, 32, color.NRGBA{0, 0, 0, 0}), false)
	writeFile(t, filepath.Join(dir, "dogs", "c.jpg"), jpegBytes(t, 50, 50), false)
	writeFile(t, filepath.Join(dir, "loose.png"), pngBytes(t, 32, 32, color.NRGBA{0, 255, 0, 255}), false)
	writeFile(t, filepath.Join(dir, "notes.txt"), []byte("not an image"), false)
	out := mem(t)
	cfg := DefaultConfig()
	cfg.From, cfg.Size = "images:"+dir, "32x32"
	m, err := ingest(t, cfg, out, false)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(m.Classes, []string{"cats", "dogs"}) || m.Shape != (dataset.Shape{32, 32, 3}) || m.Rows != 4 {
		t.Fatalf("manifest classes %v shape %v rows %d", m.Classes, m.Shape, m.Rows)
	}
	_, rows := readAll(t, out)
	want := map[string]struct {
		label   int32
		r, g, b uint8
	}{
		"cats/a.png":      {0, 255, 0, 0},     // resized and cropped, still red
		"cats/deep/b.PNG": {0, 255, 255, 255}, // transparent -> white
		"loose.png":       {dataset.NoLabel, 0, 255, 0},
	}
	for i, id := range rows.IDs {
		w, ok := want[id]
		if !ok {
			continue
		}
		px := rows.Row(i).([]uint8)[3*(16*32+16):]
		if rows.Labels[i] != w.label || px[0] != w.r || px[1] != w.g || px[2] != w.b {
			t.Errorf("%s: label %d, centre pixel %v; want %+v", id, rows.Labels[i], px[:3], w)
		}
	}
}

func TestIngestEmoji(t *testing.T) {
	tgz := filepath.Join(t.TempDir(), "emoji-datasource-google-16.0.0.tgz")
	writeEmojiTGZ(t, tgz)
	out := mem(t)
	cfg := DefaultConfig()
	cfg.From, cfg.Channels = "emoji:"+tgz, 3
	m, err := ingest(t, cfg, out, false)
	if err != nil {
		t.Fatal(err)
	}
	if m.Rows != 4 || !slices.Equal(m.Classes, []string{"Food & Drink", "People & Body", "Smileys & Emotion"}) {
		t.Fatalf("rows %d classes %v", m.Rows, m.Classes)
	}
	_, rows := readAll(t, out)
	got := map[string]int32{}
	for i, id := range rows.IDs {
		got[id] = rows.Labels[i]
	}
	if got["google/1f385-1f3fb"] != 1 || got["google/1f34e"] != 0 || got["google/1f600"] != 2 {
		t.Fatalf("labels %v", got)
	}
	// The unpacked folder gives the same rows.
	dir := t.TempDir()
	err = walkTar(tgz, func(name string, r io.Reader) (bool, error) {
		data, err := io.ReadAll(r)
		writeFile(t, filepath.Join(dir, name), data, false)
		return true, err
	})
	if err != nil {
		t.Fatal(err)
	}
	out2 := mem(t)
	cfg.From = "emoji:" + dir
	if _, err := ingest(t, cfg, out2, false); err != nil {
		t.Fatal(err)
	}
	_, rows2 := readAll(t, out2)
	sortRows := func(b *dataset.Batch) []string {
		var s []string
		for i, id := range b.IDs {
			s = append(s, fmt.Sprint(id, b.Labels[i], b.Row(i)))
		}
		slices.Sort(s)
		return s
	}
	if !slices.Equal(sortRows(rows), sortRows(rows2)) {
		t.Fatal("folder and tarball ingest differ")
	}
}

func TestIngestRerunAndConflict(t *testing.T) {
	dir := t.TempDir()
	writeIDX(t, dir, "train", 20, 3, 3, false)
	out := mem(t)
	cfg := DefaultConfig()
	cfg.From = "idx:" + dir
	if _, err := ingest(t, cfg, out, false); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest(t, cfg, out, false); !errors.Is(err, dataset.ErrCommitted) {
		t.Fatalf("second run = %v; want ErrCommitted (a no-op)", err)
	}
	cfg.Validation = 0.5
	if _, err := ingest(t, cfg, out, false); !errors.Is(err, dataset.ErrConflict) {
		t.Fatalf("changed config = %v; want ErrConflict", err)
	}
	// Changed input data is a different lineage too.
	writeIDX(t, dir, "train", 21, 3, 3, false)
	cfg.Validation = 0.1
	if _, err := ingest(t, cfg, out, false); !errors.Is(err, dataset.ErrConflict) {
		t.Fatalf("changed input = %v; want ErrConflict", err)
	}
	if m, err := ingest(t, cfg, out, true); err != nil || m.Rows != 21 {
		t.Fatalf("--overwrite = %v, %v", m, err)
	}
}

func TestIngestBadInput(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) Config
		want  []string
	}{
		{"wrong IDX magic", func(t *testing.T, dir string) Config {
			writeIDX(t, dir, "train", 3, 2, 2, false)
			data, _ := os.ReadFile(filepath.Join(dir, "train-images-idx3-ubyte"))
			data[3] = 0x01
			writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte"), data, false)
			return idxCfg(dir)
		}, []string{"train-images-idx3-ubyte", "IDX magic 0x00000801, want 0x00000803"}},
		{"truncated IDX", func(t *testing.T, dir string) Config {
			writeIDX(t, dir, "train", 30, 4, 4, true)
			var b bytes.Buffer
			writeIDX(t, t.TempDir(), "x", 1, 1, 1, false)
			data := idxRaw(t, 30, 4, 4)
			b.Write(data[:len(data)-20])
			writeFile(t, filepath.Join(dir, "train-images-idx3-ubyte.gz"), b.Bytes(), true)
			return idxCfg(dir)
		}, []string{"train-images-idx3-ubyte.gz", "truncated at image 28 of 30"}},
		{"IDX label count mismatch", func(t *testing.T, dir string) Config {
			writeIDX(t, dir, "train", 5, 2, 2, false)
			other := t.TempDir()
			writeIDX(t, other, "train", 4, 2, 2, false)
			data, _ := os.ReadFile(filepath.Join(other, "train-labels-idx1-ubyte"))
			writeFile(t, filepath.Join(dir, "train-labels-idx1-ubyte"), data, false)
			return idxCfg(dir)
		}, []string{"5 images", "4 labels"}},
		{"IDX missing labels", func(t *testing.T, dir string) Config {
			writeIDX(t, dir, "train", 2, 2, 2, false)
			os.Remove(filepath.Join(dir, "train-labels-idx1-ubyte"))
			return idxCfg(dir)
		}, []string{"labels file", "train-labels-idx1-ubyte"}},
		{"no IDX files", func(t *testing.T, dir string) Config { return idxCfg(dir) }, []string{"no *-images-idx3-ubyte"}},
		{"missing path", func(t *testing.T, dir string) Config { return idxCfg(filepath.Join(dir, "nope")) }, []string{"nope", "no such file"}},
		{"corrupt PNG", func(t *testing.T, dir string) Config {
			writeFile(t, filepath.Join(dir, "a", "ok.png"), pngBytes(t, 8, 8, color.NRGBA{1, 2, 3, 255}), false)
			writeFile(t, filepath.Join(dir, "a", "bad.png"), []byte("\x89PNG\r\n\x1a\nnot really"), false)
			return folderCfg(dir, "8x8")
		}, []string{"bad.png", "cannot decode image"}},
		{"truncated PNG", func(t *testing.T, dir string) Config {
			data := pngBytes(t, 16, 16, color.NRGBA{1, 2, 3, 255})
			writeFile(t, filepath.Join(dir, "a", "cut.png"), data[:len(data)/2], false)
			return folderCfg(dir, "8x8")
		}, []string{"cut.png", "cannot decode image"}},
		{"truncated JPEG", func(t *testing.T, dir string) Config {
			data := jpegBytes(t, 16, 16)
			writeFile(t, filepath.Join(dir, "a", "cut.jpg"), data[:len(data)/3], false)
			return folderCfg(dir, "8x8")
		}, []string{"cut.jpg", "cannot decode image"}},
		{"image smaller than size", func(t *testing.T, dir string) Config {
			writeFile(t, filepath.Join(dir, "a", "small.png"), pngBytes(t, 10, 12, color.NRGBA{1, 2, 3, 255}), false)
			return folderCfg(dir, "16x16")
		}, []string{"small.png", "10x12, smaller than the target size 16x16"}},
		{"mixed sizes without --size", func(t *testing.T, dir string) Config {
			writeFile(t, filepath.Join(dir, "a", "1.png"), pngBytes(t, 10, 10, color.NRGBA{1, 2, 3, 255}), false)
			writeFile(t, filepath.Join(dir, "a", "2.png"), pngBytes(t, 8, 8, color.NRGBA{1, 2, 3, 255}), false)
			return folderCfg(dir, "")
		}, []string{"2.png", "smaller than the target size 10x10"}},
		{"empty folder", func(t *testing.T, dir string) Config { return folderCfg(dir, "8x8") }, []string{"no .png, .jpg or .jpeg files"}},
		{"unknown kind", func(t *testing.T, dir string) Config { c := DefaultConfig(); c.From = "tiff:" + dir; return c }, []string{"ingest.from", `unknown kind "tiff"`}},
		{"no kind", func(t *testing.T, dir string) Config { c := DefaultConfig(); c.From = dir; return c }, []string{"ingest.from", "KIND:PATH"}},
		{"bad size", func(t *testing.T, dir string) Config { return folderCfg(dir, "64by64") }, []string{"ingest.size", "64by64"}},
		{"bad channels", func(t *testing.T, dir string) Config { c := folderCfg(dir, ""); c.Channels = 2; return c }, []string{"ingest.channels"}},
		{"bad validation", func(t *testing.T, dir string) Config { c := folderCfg(dir, ""); c.Validation = 1; return c }, []string{"ingest.validation"}},
		{"emoji archive without emoji.json", func(t *testing.T, dir string) Config {
			writeFile(t, filepath.Join(dir, "x.tgz"), []byte{}, true)
			c := DefaultConfig()
			c.From = "emoji:" + filepath.Join(dir, "x.tgz")
			return c
		}, []string{"x.tgz", "no emoji.json"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := mem(t)
			_, err := ingest(t, tc.setup(t, t.TempDir()), out, false)
			if err == nil {
				t.Fatal("ingest succeeded")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if ok, _ := out.Exists(ctx, dataset.ManifestKey); ok {
				t.Error("a failed ingest committed a manifest")
			}
		})
	}
}

func idxCfg(dir string) Config { c := DefaultConfig(); c.From = "idx:" + dir; return c }

func folderCfg(dir, size string) Config {
	c := DefaultConfig()
	c.From, c.Size = "images:"+dir, size
	return c
}

func idxRaw(t *testing.T, n, h, w int) []byte {
	dir := t.TempDir()
	writeIDX(t, dir, "r", n, h, w, false)
	data, err := os.ReadFile(filepath.Join(dir, "r-images-idx3-ubyte"))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// Moving the input elsewhere does not make it another dataset.
func TestIngestIdentityIgnoresInputLocation(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	writeIDX(t, a, "train", 20, 3, 3, true)
	writeIDX(t, b, "train", 20, 3, 3, true)
	out := mem(t)
	if _, err := ingest(t, idxCfg(a), out, false); err != nil {
		t.Fatal(err)
	}
	cfg := idxCfg(b)
	cfg.Workers = 5
	if _, err := ingest(t, cfg, out, false); !errors.Is(err, dataset.ErrCommitted) {
		t.Fatalf("same bytes from another folder = %v; want ErrCommitted", err)
	}
}

// With several bad files and many workers, the error names the first bad
// file in input order, every time.
func TestIngestErrorIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	for i := range 40 {
		size := 16
		if i >= 7 {
			size = 4 // too small from the 8th file on
		}
		writeFile(t, filepath.Join(dir, "a", fmt.Sprintf("%02d.png", i)), pngBytes(t, size, size, color.NRGBA{1, 2, 3, 255}), false)
	}
	for range 20 {
		cfg := folderCfg(dir, "8x8")
		cfg.Workers = 8
		_, err := ingest(t, cfg, mem(t), false)
		if err == nil || !strings.Contains(err.Error(), "07.png") {
			t.Fatalf("error %v; want the first bad file, 07.png", err)
		}
	}
}
