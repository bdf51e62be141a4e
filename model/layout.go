package model

// ToNCHW converts n HWC images (as datasets store them) to NCHW.
func ToNCHW(hwc []float32, n, h, w, c int) []float32 {
	out := make([]float32, len(hwc))
	for i := range n {
		src, dst := hwc[i*h*w*c:(i+1)*h*w*c], out[i*h*w*c:(i+1)*h*w*c]
		for y := range h {
			for x := range w {
				for ch := range c {
					dst[(ch*h+y)*w+x] = src[(y*w+x)*c+ch]
				}
			}
		}
	}
	return out
}

// ToHWC converts n NCHW tensors back to HWC.
func ToHWC(nchw []float32, n, h, w, c int) []float32 {
	out := make([]float32, len(nchw))
	for i := range n {
		src, dst := nchw[i*h*w*c:(i+1)*h*w*c], out[i*h*w*c:(i+1)*h*w*c]
		for ch := range c {
			for y := range h {
				for x := range w {
					dst[(y*w+x)*c+ch] = src[(ch*h+y)*w+x]
				}
			}
		}
	}
	return out
}
