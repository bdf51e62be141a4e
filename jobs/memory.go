package jobs

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
)

// memoryHeadroom is what the Go heap may grow past its size after the
// first unit of work before the collector works harder (garbage per batch
// is a few MiB: a collection every few dozen batches).
const memoryHeadroom = 128 << 20

// settleMemoryLimit, called once the first batch of a job is done (its
// model buffers exist), caps the Go heap at its current size plus
// max(128 MiB, a quarter of it), unless GOMEMLIMIT is set. Without a cap the
// heap grows with the garbage of every batch to twice the live size, so a
// long encode would peak higher than a short one; with it, memory stays
// flat whatever the row count. Exceeding the cap only makes the
// collector run more often.
func settleMemoryLimit(log *slog.Logger) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			if os.Getenv("GOMEMLIMIT") != "" {
				return
			}
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			limit := ms.HeapInuse + max(memoryHeadroom, ms.HeapInuse/4)
			debug.SetMemoryLimit(int64(limit))
			log.Debug("memory limit", "go_heap_in_use_mib", ms.HeapInuse>>20, "limit_mib", limit>>20)
		})
	}
}
