#!/usr/bin/env bash
# Runs the Rust and torchvision augmentation benchmarks back to back and
# prints views per second per core (one thread each) and their ratio.
#
# Usage: PYTHON=/path/to/python bench/augment.sh
# PYTHON defaults to python3 and needs torch, torchvision, numpy and Pillow.
# AUGMENT_BENCH_SECONDS sets the time per setting (default 3).
set -euo pipefail

cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"

rust_output="$(cargo bench --quiet --bench augment_throughput)"
torch_output="$("$python" bench/augment_torchvision.py)"

# Prints the views_per_s value of setting $2 in the output $1.
rate() {
    printf '%s\n' "$1" | awk -v setting="setting=$2" '
        $1 == setting { for (i = 2; i <= NF; i++) if ($i ~ /^views_per_s=/) { sub(/^views_per_s=/, "", $i); print $i } }'
}

printf '%-10s %16s %16s %8s\n' setting "ours views/s" "torchvision" ratio
for setting in cifar32 photo224; do
    ours="$(rate "$rust_output" "$setting")"
    theirs="$(rate "$torch_output" "$setting")"
    if [[ -z "$ours" || -z "$theirs" ]]; then
        echo "missing result for $setting" >&2
        exit 1
    fi
    ratio="$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.1f", a / b }')"
    printf '%-10s %16s %16s %7sx\n' "$setting" "$ours" "$theirs" "$ratio"
done
