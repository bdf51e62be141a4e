// Package plot draws simple line charts as PNG-ready images: loss curves
// and similar series, log-scaled when asked, with a legend and axis labels.
package plot

import (
	"fmt"
	"image"
	"image/color"
	"math"

	"golang.org/x/image/font"
	"golang.org/x/image/font/basicfont"
	"golang.org/x/image/math/fixed"
)

// Series is one line.
type Series struct {
	Name  string
	X, Y  []float64
	Color color.RGBA
}

// Chart is a titled set of series.
type Chart struct {
	Title, XLabel string
	LogY          bool
	Series        []Series
}

const (
	width, height          = 720, 420
	left, right, top, bott = 70, 20, 30, 45
)

// Draw renders the chart.
func (c Chart) Draw() *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	fill(img, img.Bounds(), color.RGBA{255, 255, 255, 255})
	x0, x1, y0, y1 := c.bounds()
	px := func(x float64) int { return left + int((x-x0)/(x1-x0)*float64(width-left-right)) }
	py := func(y float64) int {
		if c.LogY {
			y = math.Log10(math.Max(y, 1e-12))
		}
		return height - bott - int((y-y0)/(y1-y0)*float64(height-top-bott))
	}
	c.axes(img, x0, x1, y0, y1)
	for i, s := range c.Series {
		for j := 1; j < len(s.X); j++ {
			line(img, px(s.X[j-1]), py(s.Y[j-1]), px(s.X[j]), py(s.Y[j]), s.Color)
		}
		if len(s.X) == 1 {
			fill(img, image.Rect(px(s.X[0])-2, py(s.Y[0])-2, px(s.X[0])+3, py(s.Y[0])+3), s.Color)
		}
		fill(img, image.Rect(width-170, top+8+16*i, width-155, top+11+16*i), s.Color)
		text(img, width-150, top+14+16*i, s.Name)
	}
	text(img, left, 18, c.Title)
	text(img, width/2-20, height-10, c.XLabel)
	return img
}

func (c Chart) bounds() (x0, x1, y0, y1 float64) {
	x0, x1, y0, y1 = math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range c.Series {
		for i := range s.X {
			y := s.Y[i]
			if c.LogY {
				y = math.Log10(math.Max(y, 1e-12))
			}
			x0, x1 = math.Min(x0, s.X[i]), math.Max(x1, s.X[i])
			y0, y1 = math.Min(y0, y), math.Max(y1, y)
		}
	}
	if math.IsInf(x0, 0) {
		return 0, 1, 0, 1
	}
	if x1 == x0 {
		x1 = x0 + 1
	}
	if y1 == y0 {
		y0, y1 = y0-0.5, y1+0.5
	}
	pad := (y1 - y0) * 0.05
	return x0, x1, y0 - pad, y1 + pad
}

func (c Chart) axes(img *image.RGBA, x0, x1, y0, y1 float64) {
	gray := color.RGBA{0, 0, 0, 255}
	line(img, left, top, left, height-bott, gray)
	line(img, left, height-bott, width-right, height-bott, gray)
	for i := 0; i <= 4; i++ {
		y := y0 + (y1-y0)*float64(i)/4
		v := y
		if c.LogY {
			v = math.Pow(10, y)
		}
		yy := height - bott - i*(height-top-bott)/4
		line(img, left-4, yy, left, yy, gray)
		text(img, 4, yy+4, fmt.Sprintf("%.3g", v))
		xv := x0 + (x1-x0)*float64(i)/4
		xx := left + i*(width-left-right)/4
		line(img, xx, height-bott, xx, height-bott+4, gray)
		text(img, xx-10, height-bott+18, fmt.Sprintf("%.4g", xv))
	}
}

func fill(img *image.RGBA, r image.Rectangle, c color.RGBA) {
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetRGBA(x, y, c)
		}
	}
}

// line draws with Bresenham's algorithm, two pixels thick.
func line(img *image.RGBA, x0, y0, x1, y1 int, c color.RGBA) {
	dx, dy := abs(x1-x0), -abs(y1-y0)
	sx, sy := sign(x1-x0), sign(y1-y0)
	e := dx + dy
	for {
		img.SetRGBA(x0, y0, c)
		img.SetRGBA(x0, y0+1, c)
		if x0 == x1 && y0 == y1 {
			return
		}
		if e2 := 2 * e; e2 >= dy {
			e += dy
			x0 += sx
		} else {
			e += dx
			y0 += sy
		}
	}
}

func text(img *image.RGBA, x, y int, s string) {
	d := font.Drawer{Dst: img, Src: image.NewUniform(color.Black), Face: basicfont.Face7x13, Dot: fixed.P(x, y)}
	d.DrawString(s)
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

func sign(v int) int {
	switch {
	case v > 0:
		return 1
	case v < 0:
		return -1
	}
	return 0
}
