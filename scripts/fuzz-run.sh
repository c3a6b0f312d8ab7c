#!/usr/bin/env bash
# Runs each libFuzzer harness of build/fuzz/ for a bounded time and summarizes
# (FUZZ_EXTRA adds libFuzzer flags: CI fixes the seed and the run count so that a
# pass is repeatable),
# executions and coverage (`make fuzz`, `make fuzz-ci`). Usage:
#   scripts/fuzz-run.sh SECONDS NAME:MAX_LEN...
# Inputs: fuzz/corpus/NAME (the committed seeds) and fuzz/regressions/NAME (saved
# crashes); new inputs go to build/fuzz/corpus/NAME, logs to build/fuzz/NAME.log,
# a crashing input to build/fuzz/crashes/. Exits 1 when any fuzzer found a crash,
# a leak or a timeout: then copy the input into fuzz/regressions/NAME/ and fix it.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=$1
shift
mkdir -p build/fuzz/crashes
failed=()
summary=()
for spec in "$@"; do
  name=${spec%%:*}
  max_len=${spec#*:}
  mkdir -p "build/fuzz/corpus/$name"
  inputs=("build/fuzz/corpus/$name" "fuzz/corpus/$name")
  [ -d "fuzz/regressions/$name" ] && inputs+=("fuzz/regressions/$name")
  dict=()
  [ -f "fuzz/$name.dict" ] && dict=("-dict=fuzz/$name.dict")
  log="build/fuzz/$name.log"
  echo "fuzz: $name for ${seconds}s (max_len $max_len), log in $log"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:symbolize=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "build/fuzz/fuzz_$name" -max_total_time="$seconds" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
    -print_final_stats=1 -artifact_prefix="build/fuzz/crashes/$name-" ${FUZZ_EXTRA:-} "${dict[@]}" "${inputs[@]}" >"$log" 2>&1
  status=$?
  done_line=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -n 1)
  if [ $status -ne 0 ] || [ -z "$done_line" ]; then
    failed+=("$name")
    summary+=("$(printf '%-9s FAILED (exit %d): see %s and build/fuzz/crashes/' "$name" "$status" "$log")")
    echo "fuzz: $name FAILED; the end of its log:"
    tail -n 40 "$log"
    continue
  fi
  runs=$(sed -nE 's/^#([0-9]+).*/\1/p' <<<"$done_line")
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$done_line")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$done_line")
  corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$done_line")
  rate=$(sed -nE 's/.* exec\/s: ([0-9]+).*/\1/p' <<<"$done_line")
  summary+=("$(printf '%-9s %12s execs %8s exec/s   cov %6s   ft %7s   corpus %6s' "$name" "$runs" "$rate" "$cov" "$ft" "$corp")")
done
echo
echo "fuzz summary (${seconds}s each):"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: crashes in: ${failed[*]}" >&2
  exit 1
fi
