#!/usr/bin/env bash
# make reliability: the campaigns at full size, longer fuzzing, then
# docs/RELIABILITY.md from their counts.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
rows=$(mktemp)
# Counts, not durations: a duration-based -fuzztime fails spuriously on go1.26
# (golang/go#75804).
fuzztime=${FUZZTIME:-300000x}
echo "campaigns (STACKAE_RELIABILITY=full)..." >&2
STACKAE_RELIABILITY=full STACKAE_RELIABILITY_REPORT="$rows" STACKAE_TAGS=dnnl \
  $GO test -tags dnnl -count=1 -timeout 60m ./reliability
fuzz() { # package target
  echo "fuzzing $2 for $fuzztime..." >&2
  start=$(date +%s)
  out=$($GO test -run '^$' -fuzz "^$2\$" -fuzztime "$fuzztime" -parallel 2 "$1" 2>&1) || { echo "$out"; exit 1; }
  execs=$(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | awk '{print $2}')
  echo "| fuzzing | $2 ($1): executions in $(( $(date +%s) - start )) s, no crasher | ${execs:-?} |" >> "$rows"
}
fuzz ./dataset FuzzParseManifest
fuzz ./stages/ingest FuzzIDXHeader
fuzz ./stages/ingest FuzzImageIngest
{
  echo "# Reliability"
  echo
  echo "Produced by \`make reliability\` on $(date -u +%Y-%m-%d) ($(git describe --always --dirty)), $(nproc) cores."
  echo "Every number is a count from the campaigns in reliability/ (run small by \`make test\`) and"
  echo "the fuzz targets; a campaign that saw one failure fails \`make reliability\` instead of"
  echo "writing this file."
  echo
  echo "| campaign | what | count |"
  echo "|---|---|---|"
  sort "$rows"
  echo
  cat docs/reliability-notes.md
} > docs/RELIABILITY.md
rm -f "$rows"
echo "wrote docs/RELIABILITY.md" >&2
