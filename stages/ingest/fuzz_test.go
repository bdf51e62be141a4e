package ingest

import (
	"bytes"
	"encoding/binary"
	"image/color"
	"testing"
)

// The IDX header reader never panics and accepts only what it can read.
func FuzzIDXHeader(f *testing.F) {
	var ok bytes.Buffer
	binary.Write(&ok, binary.BigEndian, []uint32{idxImagesMagic, 2, 3, 3})
	f.Add(ok.Bytes())
	f.Add([]byte{0, 0, 8, 3})
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		dims, err := idxHeader(bytes.NewReader(data), "fuzz", idxImagesMagic, 3)
		if err != nil {
			return
		}
		for _, d := range dims {
			if d < 0 {
				t.Fatalf("negative dimension %v", dims)
			}
		}
	})
}

// Ingesting arbitrary bytes as an image file fails cleanly or yields pixels
// of the configured shape, never a panic.
func FuzzImageIngest(f *testing.F) {
	f.Add(pngBytes(f, 4, 4, color.NRGBA{200, 10, 10, 255}))
	f.Add([]byte("\x89PNG\r\n\x1a\n"))
	f.Add([]byte{0xff, 0xd8, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		it := item{where: "fuzz.png", data: data}
		img, err := it.decode()
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Dx()*b.Dy() > 1<<20 {
			return // huge declared sizes are the decoder's business
		}
		n := normalizer{h: 4, w: 4, c: 3}
		px, err := n.pixels(img)
		if err == nil && len(px) != 4*4*3 {
			t.Fatalf("%d pixels for a 4x4x3 target", len(px))
		}
	})
}
