#!/usr/bin/env bash
# make bench: the side-by-side run against PyTorch (bench/, stackae-bench),
# then the Go micro-benchmarks; writes docs/BENCHMARKS.md with the machine,
# versions, date and the exact commands. BENCH_COUNT sets -count.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${BENCH_COUNT:-3}
side="bin/stackae-bench -rounds 3 -rows 800 -md /tmp/stackae-sidebyside.md"
cmd="go test -tags dnnl -run '^\$' -bench . -benchmem -count $count ./dataset ./stages/ingest ./model/dnnl"
step_fast="go test -tags dnnl -run '^\$' -bench ReferenceStep -benchtime 5x -benchmem ./model"
step_pure="go test -run '^\$' -bench ReferenceStep -benchtime 1x -benchmem ./model"
eval "$side"
raw=$(eval "$cmd" 2>&1; echo "# training step, oneDNN convolutions (-tags dnnl):"; eval "$step_fast" 2>&1; echo "# training step, pure-Go build:"; eval "$step_pure" 2>&1)
echo "$raw"
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` on $(date -u +%Y-%m-%d). Timings on this shared 2-core VM swing by"
  echo "+-30% between runs: compare numbers from the same run only (the side-by-side alternates"
  echo "stackae and PyTorch processes for that reason)."
  echo
  echo "## stackae against PyTorch, same architecture, same machine"
  echo
  echo "    make build && $side"
  echo
  cat /tmp/stackae-sidebyside.md
  echo
  cat docs/bench-notes.md
  echo
  echo "## Micro-benchmarks"
  echo
  echo "    $cmd"
  echo "    $step_fast"
  echo "    $step_pure"
  echo
  echo "- go: $(go version | cut -d' ' -f3-), stackae $(git describe --always --dirty 2>/dev/null || echo unknown)"
  echo
  echo "MB/s counts raw feature bytes (H*W*C*elem size per row) written to or read from Parquet"
  echo "shards (zstd), on mem:// and file://. BenchmarkReferenceStep is one training step of the"
  echo "reference level (64x64x3 -> 8x8x32, width 32, 4x4 convs, batch 32) inside \`go test\`"
  echo "(OpenMP threads spin there: the CLI and stackae-bench re-execute with OMP_WAIT_POLICY=passive)."
  echo
  echo '```'
  echo "$raw" | grep -E '^(Benchmark|goos|goarch|cpu|pkg|# )'
  echo '```'
} > docs/BENCHMARKS.md
echo "wrote docs/BENCHMARKS.md"
