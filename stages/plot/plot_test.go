package plot

import (
	"image/color"
	"testing"
)

func TestDrawPlacesSeries(t *testing.T) {
	red := color.RGBA{220, 30, 30, 255}
	img := Chart{Title: "loss", XLabel: "step", LogY: true, Series: []Series{
		{Name: "train", X: []float64{0, 10, 20}, Y: []float64{1, 0.1, 0.01}, Color: red},
	}}.Draw()
	if img.Bounds().Dx() != width || img.Bounds().Dy() != height {
		t.Fatalf("size %v", img.Bounds())
	}
	// On a log axis the middle point sits half-way up: find red pixels near it.
	midX := left + (width-left-right)/2
	found := false
	for y := top; y < height-bott; y++ {
		if img.RGBAAt(midX, y) == red {
			found = true
			if y < top+100 || y > height-bott-100 {
				t.Fatalf("mid point at y=%d; want near the middle", y)
			}
		}
	}
	if !found {
		t.Fatal("series not drawn")
	}
	if (Chart{}).Draw() == nil {
		t.Fatal("empty chart")
	}
}
