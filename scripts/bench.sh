#!/usr/bin/env bash
# Runs the Go benchmarks and writes docs/BENCHMARKS.md with the machine,
# versions, date and the exact command. Usage: scripts/bench.sh [-count N]
set -euo pipefail
cd "$(dirname "$0")/.."
count=${BENCH_COUNT:-3}
cmd="go test -tags dnnl -run '^\$' -bench . -benchmem -count $count ./dataset ./stages/ingest ./model/dnnl"
raw=$(eval "$cmd" 2>&1)
echo "$raw"
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (which runs \`$cmd\`) on $(date -u +%Y-%m-%d)."
  echo
  echo "- machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "- go: $(go version | cut -d' ' -f3-), stackae $(git describe --always --dirty 2>/dev/null || echo unknown)"
  echo
  echo "MB/s counts raw feature bytes (H*W*C*elem size per row) written to or read from Parquet"
  echo "shards (zstd), on mem:// and file://. Timings on this shared 2-core VM swing by +-30%;"
  echo "compare numbers from the same run only."
  echo
  echo '```'
  echo "$raw" | grep -E '^(Benchmark|goos|goarch|cpu|pkg)'
  echo '```'
} > docs/BENCHMARKS.md
echo "wrote docs/BENCHMARKS.md"
