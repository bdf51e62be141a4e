package jobs

import (
	"math"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
)

// progress reports a long job's advance: a bar on a terminal, otherwise a
// structured log line every few seconds. The returned finish func ends it.
// unit names what is counted ("images", "batches", "rows").
//
// Each update also keeps the process's memory limit above the live heap
// (see memoryLimiter): by the first one the job's model and buffers exist.
func (e *env) progress(what, unit string) (update func(done, total int), finish func()) {
	mem := newMemoryLimiter(e.log)
	report, end := e.reporter(what, unit)
	return func(done, total int) {
		mem.update()
		report(done, total)
	}, end
}

func (e *env) reporter(what, unit string) (update func(done, total int), finish func()) {
	if e.tty {
		return e.barProgress(what, unit)
	}
	start, last := time.Now(), time.Now()
	var mu sync.Mutex
	update = func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if time.Since(last) < 5*time.Second {
			return
		}
		last = time.Now()
		rate := float64(done) / time.Since(start).Seconds()
		e.log.Info("progress", "job", what, "unit", unit, "done", done, "total", total, "per_second", math.Round(rate*100)/100)
	}
	return update, func() {}
}

func (e *env) barProgress(what, unit string) (func(done, total int), func()) {
	var bar *progressbar.ProgressBar
	var mu sync.Mutex
	update := func(done, total int) {
		mu.Lock()
		defer mu.Unlock()
		if bar == nil {
			bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(e.errOut), progressbar.OptionSetDescription(what),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit),
				progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		}
		_ = bar.Set(done)
	}
	return update, func() {
		mu.Lock()
		defer mu.Unlock()
		if bar != nil {
			_ = bar.Finish()
		}
	}
}
