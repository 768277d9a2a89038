#!/usr/bin/env bash
# Runs every libFuzzer target of a -Dfuzzing=true build for SECONDS each, starting from the
# seeds in fuzz/corpus/<name>/ (copied: the fuzzer adds to its corpus). Fails on the first
# crash, hang, leak or sanitizer report; the reproducer is left in the work directory.
#   fuzz/run.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$(realpath "$1")
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/weft-fuzz.XXXXXX)
for target in manifest config; do
    mkdir -p "$work/$target"
    cp "$here/corpus/$target/"* "$work/$target/"
    echo "fuzz: $target-fuzz for ${seconds}s"
    (cd "$work" && "$build/fuzz/$target-fuzz" -max_total_time="$seconds" -max_len=16384 \
        -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 "$work/$target" 2>"$work/$target.log") || {
        tail -n 40 "$work/$target.log" >&2
        echo "fuzz: $target-fuzz failed; reproducer and log in $work" >&2
        exit 1
    }
    grep -E "^stat::number_of_executed_units" "$work/$target.log" | sed "s/^/fuzz: $target: /"
done
rm -rf "$work"
