package ingest

import (
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"

	"golang.org/x/image/draw"
)

// normalizer converts decoded images to uint8 HWC pixels of one shape.
type normalizer struct {
	h, w, c int
}

// pixels returns img as h*w*c bytes, or an error if it is smaller than the
// target (stackae never upscales).
func (n normalizer) pixels(img image.Image) ([]uint8, error) {
	b := img.Bounds()
	if b.Dx() < n.w || b.Dy() < n.h {
		return nil, fmt.Errorf("image is %dx%d, smaller than the target size %dx%d (HxW)", b.Dy(), b.Dx(), n.h, n.w)
	}
	flat := onWhite(img)
	if b.Dx() != n.w || b.Dy() != n.h {
		flat = n.resize(flat)
	}
	out := make([]uint8, 0, n.h*n.w*n.c)
	for y := range n.h {
		row := flat.Pix[y*flat.Stride : y*flat.Stride+4*n.w]
		for x := range n.w {
			r, g, bl := row[4*x], row[4*x+1], row[4*x+2]
			if n.c == 1 {
				out = append(out, luma(r, g, bl))
			} else {
				out = append(out, r, g, bl)
			}
		}
	}
	return out, nil
}

// onWhite composites img over an opaque white background.
func onWhite(img image.Image) *image.RGBA {
	b := img.Bounds()
	dst := image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	stddraw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, stddraw.Src)
	stddraw.Draw(dst, dst.Bounds(), img, b.Min, stddraw.Over)
	return dst
}

// resize centre-crops src to the target aspect ratio, then scales it with
// Catmull-Rom (which widens its kernel when shrinking, so no aliasing).
func (n normalizer) resize(src *image.RGBA) *image.RGBA {
	sw, sh := src.Bounds().Dx(), src.Bounds().Dy()
	cw, ch := sw, sh
	if sw*n.h > sh*n.w {
		cw = sh * n.w / n.h
	} else {
		ch = sw * n.h / n.w
	}
	crop := image.Rect((sw-cw)/2, (sh-ch)/2, (sw-cw)/2+cw, (sh-ch)/2+ch)
	dst := image.NewRGBA(image.Rect(0, 0, n.w, n.h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), src, crop, draw.Src, nil)
	return dst
}

// luma is ITU-R BT.601, as image/color's Gray model uses.
func luma(r, g, b uint8) uint8 {
	y := (19595*uint32(r) + 38470*uint32(g) + 7471*uint32(b) + 1<<15) >> 16
	return uint8(y)
}

// grayImage wraps raw 8-bit gray pixels (IDX) as an image.Image.
func grayImage(pix []uint8, h, w int) image.Image {
	return &image.Gray{Pix: pix, Stride: w, Rect: image.Rect(0, 0, w, h)}
}
