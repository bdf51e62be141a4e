package model

import (
	"runtime"
	"sync"
)

// parallel runs f over [0, n) split into contiguous ranges, one per CPU.
// Each index is handled by exactly one call, so results do not depend on
// scheduling (training stays bit-deterministic).
func parallel(n, minPerWorker int, f func(lo, hi int)) {
	workers := min(runtime.GOMAXPROCS(0), max(1, n/max(1, minPerWorker)))
	if workers <= 1 {
		f(0, n)
		return
	}
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*n/workers, (w+1)*n/workers
		wg.Go(func() { f(lo, hi) })
	}
	wg.Wait()
}
