#!/usr/bin/env bash
# Runs the Rust and PyTorch training-step benchmarks, alternating the two
# sides per workload, each workload in its own process, and prints seconds
# per step, views per second, peak memory and the ratio ours / PyTorch.
#
# Usage: PYTHON=/path/to/python bench/train.sh [WORKLOAD...]
# PYTHON defaults to python3 and needs torch, torchvision and numpy.
# WORKLOADS defaults to all four: r18-cifar r18w4-cifar r50-imagenet96
# pipeline. KERNELS, when set, is passed to the Rust side as
# `--kernels`. ROUNDS (default 1) repeats each pair of runs and the table
# shows the median of the rounds. TRAIN_BENCH_STEPS and TRAIN_BENCH_WARMUP
# reach both sides.
set -euo pipefail

cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
rounds="${ROUNDS:-1}"
if [[ $# -gt 0 ]]; then
    workloads=("$@")
else
    workloads=(r18-cifar r18w4-cifar r50-imagenet96 pipeline)
fi

cargo build --quiet --release --bench train_step
# The bench binary is the newest train_step-* executable cargo wrote.
target="${CARGO_TARGET_DIR:-target}"
binary="$(ls -t "$target"/release/deps/train_step-* | grep -v '\.d$' | head -n 1)"

# Prints field $2 of the result line $1.
field() {
    printf '%s\n' "$1" | tr ' ' '\n' | awk -F= -v key="$2" '$1 == key { print $2 }'
}

# Prints the median of the numbers given as arguments.
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

printf '%-15s %10s %10s %9s %9s %9s %9s %7s %7s\n' workload "ours s" "torch s" "ours v/s" "torch v/s" "ours MiB" "torch MiB" "time" "memory"
for workload in "${workloads[@]}"; do
    ours_s=() torch_s=() ours_m=() torch_m=() ours_v=() torch_v=()
    for ((round = 0; round < rounds; round++)); do
        echo "# $(date +%T) load $(cut -d' ' -f1-3 /proc/loadavg): $workload round $round" >&2
        ours="$("$binary" "$workload" ${KERNELS:+--kernels "$KERNELS"})"
        echo "# $ours" >&2
        torch="$("$python" bench/pytorch_step.py "$workload")"
        echo "# $torch" >&2
        ours_s+=("$(field "$ours" seconds_per_step)")
        torch_s+=("$(field "$torch" seconds_per_step)")
        ours_v+=("$(field "$ours" views_per_s)")
        torch_v+=("$(field "$torch" views_per_s)")
        ours_m+=("$(field "$ours" peak_rss_mib)")
        torch_m+=("$(field "$torch" peak_rss_mib)")
    done
    os="$(median "${ours_s[@]}")" ts="$(median "${torch_s[@]}")"
    om="$(median "${ours_m[@]}")" tm="$(median "${torch_m[@]}")"
    printf '%-15s %10s %10s %9s %9s %9s %9s %6.2fx %6.2fx\n' "$workload" "$os" "$ts" \
        "$(median "${ours_v[@]}")" "$(median "${torch_v[@]}")" "$om" "$tm" \
        "$(awk -v a="$os" -v b="$ts" 'BEGIN { print a / b }')" \
        "$(awk -v a="$om" -v b="$tm" 'BEGIN { print a / b }')"
done
