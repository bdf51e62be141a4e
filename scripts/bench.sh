#!/usr/bin/env bash
# Runs the Go benchmarks and writes docs/BENCHMARKS.md with the machine,
# versions, date and the exact command. Usage: scripts/bench.sh [-count N]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${BENCH_COUNT:-3}
cmd="go test -tags dnnl -run '^\$' -bench . -benchmem -count $count ./dataset ./stages/ingest ./model/dnnl"
step_fast="go test -tags dnnl -run '^\$' -bench ReferenceStep -benchtime 3x -benchmem ./model"
step_pure="go test -run '^\$' -bench ReferenceStep -benchtime 1x -benchmem ./model"
raw=$(eval "$cmd" 2>&1; echo "# training step, oneDNN convolutions (-tags dnnl):"; eval "$step_fast" 2>&1; echo "# training step, pure-Go build:"; eval "$step_pure" 2>&1)
echo "$raw"
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` on $(date -u +%Y-%m-%d), which runs:"
  echo
  echo "    $cmd"
  echo "    $step_fast"
  echo "    $step_pure"
  echo
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "- go: $(go version | cut -d' ' -f3-), stackae $(git describe --always --dirty 2>/dev/null || echo unknown)"
  echo
  echo "MB/s counts raw feature bytes (H*W*C*elem size per row) written to or read from Parquet"
  echo "shards (zstd), on mem:// and file://. Timings on this shared 2-core VM swing by +-30%;"
  echo "compare numbers from the same run only."
  echo
  echo '```'
  echo "$raw" | grep -E '^(Benchmark|goos|goarch|cpu|pkg|# )'
  echo '```'
  echo
  echo "BenchmarkReferenceStep is one training step (forward, backward, Adam) of the reference"
  echo "level, 64x64x3 -> 8x8x32, width 32, 4x4 convs, batch 32. PyTorch 1.13 on this machine takes"
  echo "~0.5 s for the same step (../shared/REFERENCE.md); the side-by-side harness is issue 4's."
} > docs/BENCHMARKS.md
echo "wrote docs/BENCHMARKS.md"
