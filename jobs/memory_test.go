package jobs

import (
	"log/slog"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
)

// The limit follows the live heap up, never down, and stays off with
// GOMEMLIMIT.
func TestMemoryLimiterRisesWithTheLiveHeap(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	debug.SetMemoryLimit(math.MaxInt64)
	m := newMemoryLimiter(slog.New(slog.DiscardHandler))
	if m.off {
		t.Skip("GOMEMLIMIT is set")
	}
	runtime.GC()
	m.update()
	first := debug.SetMemoryLimit(-1)
	if first == math.MaxInt64 || first < memoryHeadroom {
		t.Fatalf("limit %d after the first update", first)
	}
	big := make([]byte, 256<<20)
	for i := range big {
		big[i] = 1
	}
	runtime.GC()
	m.update()
	grown := debug.SetMemoryLimit(-1)
	if grown < first+200<<20 {
		t.Fatalf("limit %d MiB with 256 MiB more live (was %d MiB)", grown>>20, first>>20)
	}
	runtime.KeepAlive(big)
	big = nil
	runtime.GC()
	m.update()
	if now := debug.SetMemoryLimit(-1); now != grown {
		t.Fatalf("limit fell from %d to %d MiB", grown>>20, now>>20)
	}

	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetMemoryLimit(math.MaxInt64)
	newMemoryLimiter(slog.New(slog.DiscardHandler)).update()
	if debug.SetMemoryLimit(-1) != math.MaxInt64 {
		t.Fatal("the limiter overrode GOMEMLIMIT")
	}
}
