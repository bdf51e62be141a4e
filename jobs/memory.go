package jobs

import (
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// memoryHeadroom is what the Go heap may grow past its live size before the
// collector works harder (garbage per batch is a few MiB: a collection
// every few dozen batches).
const memoryHeadroom = 128 << 20

// memoryLimiter keeps the Go memory limit at the heap plus max(128 MiB, a
// quarter of it), unless GOMEMLIMIT is set. Without a limit
// the heap grows with the garbage of every batch to twice the live size, so
// a long encode would peak higher than a short one; with it, memory stays
// flat whatever the row count. The limit only rises: when a job's live heap
// grows (a downstream job builds the stack's decoders for its reports
// after the first epoch), the limit follows instead of making the
// collector run without pause.
type memoryLimiter struct {
	mu     sync.Mutex
	log    *slog.Logger
	limit  uint64
	sample []metrics.Sample
	off    bool
}

func newMemoryLimiter(log *slog.Logger) *memoryLimiter {
	return &memoryLimiter{log: log, off: os.Getenv("GOMEMLIMIT") != "",
		sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
}

// riseMargin: the limit rises when the live heap comes this close to it.
const riseMargin = 32 << 20

// update sets the limit on the first call (the heap in use, garbage
// included, plus headroom) and later raises it when the heap live at the
// last collection nears it; call it after each unit of work. Rising only
// then keeps the limit flat while a job's live heap merely fluctuates.
func (m *memoryLimiter) update() {
	if m.off {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var base uint64
	if m.limit == 0 {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		base = ms.HeapInuse
	} else {
		metrics.Read(m.sample)
		if m.sample[0].Value.Kind() != metrics.KindUint64 {
			return
		}
		if base = m.sample[0].Value.Uint64(); base+riseMargin <= m.limit {
			return
		}
	}
	want := base + max(memoryHeadroom, base/4)
	if want <= m.limit {
		return
	}
	m.limit = want
	debug.SetMemoryLimit(int64(min(want, math.MaxInt64)))
	m.log.Debug("memory limit", "go_heap_mib", base>>20, "limit_mib", want>>20)
}
