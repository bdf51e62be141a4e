package ingest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
)

// writeIDX writes n h x w images (pixel = i+y+x) and their labels (i%10).
func writeIDX(t testing.TB, dir, prefix string, n, h, w int, gz bool) {
	t.Helper()
	var img, lbl bytes.Buffer
	binary.Write(&img, binary.BigEndian, []uint32{idxImagesMagic, uint32(n), uint32(h), uint32(w)})
	binary.Write(&lbl, binary.BigEndian, []uint32{idxLabelsMagic, uint32(n)})
	for i := range n {
		for y := range h {
			for x := range w {
				img.WriteByte(uint8(i + y + x))
			}
		}
		lbl.WriteByte(uint8(i % 10))
	}
	ext := ""
	if gz {
		ext = ".gz"
	}
	writeFile(t, filepath.Join(dir, prefix+"-images-idx3-ubyte"+ext), img.Bytes(), gz)
	writeFile(t, filepath.Join(dir, prefix+"-labels-idx1-ubyte"+ext), lbl.Bytes(), gz)
}

func writeFile(t testing.TB, path string, data []byte, gz bool) {
	t.Helper()
	if gz {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(data)
		zw.Close()
		data = b.Bytes()
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pngBytes encodes an h x w RGBA image of colour c (alpha a).
func pngBytes(t testing.TB, h, w int, c color.NRGBA) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.SetNRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T, h, w int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// writeEmojiTGZ writes a tiny emoji-datasource-google package.
func writeEmojiTGZ(t *testing.T, path string) {
	t.Helper()
	files := map[string][]byte{
		"package/emoji.json": []byte(`[
 {"image":"1f600.png","category":"Smileys & Emotion","has_img_google":true},
 {"image":"1f385.png","category":"People & Body","skin_variations":{"1F3FB":{"image":"1f385-1f3fb.png"}}},
 {"image":"1f34e.png","category":"Food & Drink"}]`),
		"package/img/google/64/1f600.png":       pngBytes(t, 64, 64, color.NRGBA{255, 200, 0, 255}),
		"package/img/google/64/1f385.png":       pngBytes(t, 64, 64, color.NRGBA{255, 0, 0, 0}),
		"package/img/google/64/1f385-1f3fb.png": pngBytes(t, 64, 64, color.NRGBA{0, 0, 255, 128}),
		"package/img/google/64/1f34e.png":       pngBytes(t, 64, 64, color.NRGBA{0, 255, 0, 255}),
		"package/img/google/sheets/16.png":      pngBytes(t, 4, 4, color.NRGBA{}),
	}
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, name := range []string{"package/emoji.json", "package/img/google/64/1f600.png", "package/img/google/64/1f385.png",
		"package/img/google/64/1f385-1f3fb.png", "package/img/google/64/1f34e.png", "package/img/google/sheets/16.png"} {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(files[name])), Typeflag: tar.TypeReg})
		tw.Write(files[name])
	}
	tw.Close()
	zw.Close()
	writeFile(t, path, b.Bytes(), false)
}
