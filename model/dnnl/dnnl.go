//go:build dnnl

// Package dnnl runs 2-D convolutions (forward, backward data, backward
// weights) through oneDNN, the kernel library PyTorch uses on CPU. Tensors
// are plain float32 NCHW (activations) and OIHW (weights); primitives are
// created per shape with the layouts oneDNN prefers, cached, and fed through
// reorders. Every call runs on one locked OS thread: oneDNN's OpenMP
// runtime keeps a thread team per calling thread.
package dnnl

/*
#cgo LDFLAGS: -ldnnl -lgomp
#include <stdlib.h>
#include <omp.h>
#include "conv.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Shape is one convolution: input N x C x H x W, K filters of R x S,
// strides, and padding top/left/bottom/right (asymmetric allowed).
type Shape struct {
	N, C, H, W             int
	K, R, S                int
	StrideH, StrideW       int
	PadT, PadL, PadB, PadR int
}

// Out is the output's spatial size.
func (s Shape) Out() (oh, ow int) {
	return (s.H+s.PadT+s.PadB-s.R)/s.StrideH + 1, (s.W+s.PadL+s.PadR-s.S)/s.StrideW + 1
}

func (s Shape) sizes() (x, w, y int) {
	oh, ow := s.Out()
	return s.N * s.C * s.H * s.W, s.K * s.C * s.R * s.S, s.N * s.K * oh * ow
}

var (
	calls   = make(chan func())
	cache   = map[Shape]*C.stk_conv{}
	once    sync.Once
	threads int // OpenMP threads currently set on the oneDNN thread
)

// smallFLOPs: below this a convolution runs on one thread. Splitting tiny
// work costs more in OpenMP barriers than it saves, and far more when
// another process keeps the cores busy (43 s vs 1.9 s for the model tests).
const smallFLOPs = 20e6

func (s Shape) flops() float64 {
	oh, ow := s.Out()
	return 2 * float64(s.N*s.K*oh*ow) * float64(s.C*s.R*s.S)
}

// setThreads picks the OpenMP team size for s (on the oneDNN thread).
func setThreads(s Shape) {
	want := runtime.NumCPU()
	if s.flops() < smallFLOPs {
		want = 1
	}
	if want != threads {
		C.omp_set_num_threads(C.int(want))
		threads = want
	}
}

// do runs f on the oneDNN thread.
func do(f func()) {
	once.Do(func() {
		go func() {
			runtime.LockOSThread()
			for f := range calls {
				f()
			}
		}()
	})
	done := make(chan struct{})
	calls <- func() { f(); close(done) }
	<-done
}

// primitives returns the cached primitives for s (on the oneDNN thread).
func primitives(s Shape) (*C.stk_conv, error) {
	if c, ok := cache[s]; ok {
		return c, nil
	}
	c := (*C.stk_conv)(C.calloc(1, C.sizeof_stk_conv))
	st := C.stk_conv_create(c, C.int(s.N), C.int(s.C), C.int(s.H), C.int(s.W), C.int(s.K), C.int(s.R), C.int(s.S),
		C.int(s.StrideH), C.int(s.StrideW), C.int(s.PadT), C.int(s.PadL), C.int(s.PadB), C.int(s.PadR))
	if st != 0 {
		C.stk_conv_destroy(c)
		C.free(unsafe.Pointer(c))
		return nil, fmt.Errorf("oneDNN: creating convolution %+v: status %d", s, int(st))
	}
	cache[s] = c
	return c, nil
}

func ptr(s []float32) *C.float { return (*C.float)(unsafe.Pointer(&s[0])) }

func check(what string, got, want int) error {
	if got != want {
		return fmt.Errorf("oneDNN conv: %s has %d values, want %d", what, got, want)
	}
	return nil
}

// call validates lengths, then runs op on the oneDNN thread.
func call(s Shape, lens [3][2]int, names [3]string, op func(c *C.stk_conv) C.int) error {
	for i := range 3 {
		if err := check(names[i], lens[i][0], lens[i][1]); err != nil {
			return err
		}
	}
	var err error
	do(func() {
		setThreads(s)
		c, e := primitives(s)
		if e != nil {
			err = e
			return
		}
		if st := op(c); st != 0 {
			err = fmt.Errorf("oneDNN conv %+v: status %d", s, int(st))
		}
	})
	return err
}

// Forward computes y = conv(x, w).
func Forward(s Shape, x, w, y []float32) error {
	nx, nw, ny := s.sizes()
	return call(s, [3][2]int{{len(x), nx}, {len(w), nw}, {len(y), ny}}, [3]string{"x", "w", "y"},
		func(c *C.stk_conv) C.int { return C.stk_conv_forward(c, ptr(x), ptr(w), ptr(y)) })
}

// BackwardData computes dx, the gradient of the input, from dy and w.
func BackwardData(s Shape, dy, w, dx []float32) error {
	nx, nw, ny := s.sizes()
	return call(s, [3][2]int{{len(dy), ny}, {len(w), nw}, {len(dx), nx}}, [3]string{"dy", "w", "dx"},
		func(c *C.stk_conv) C.int { return C.stk_conv_backward_data(c, ptr(dy), ptr(w), ptr(dx)) })
}

// BackwardWeights computes dw, the gradient of the weights, from x and dy.
func BackwardWeights(s Shape, x, dy, dw []float32) error {
	nx, nw, ny := s.sizes()
	return call(s, [3][2]int{{len(x), nx}, {len(dy), ny}, {len(dw), nw}}, [3]string{"x", "dy", "dw"},
		func(c *C.stk_conv) C.int { return C.stk_conv_backward_weights(c, ptr(x), ptr(dy), ptr(dw)) })
}

// Version is the oneDNN library's version, e.g. "2.6.3".
func Version() string {
	v := C.dnnl_version()
	return fmt.Sprintf("%d.%d.%d", int(v.major), int(v.minor), int(v.patch))
}
