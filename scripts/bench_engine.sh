#!/usr/bin/env bash
# make bench: engine throughput of the default model — prefill tok/s at 512, 2048 and 8192
# tokens and decode tok/s, with 1 and 2 threads, median of several runs, peak RSS. Each row
# runs in a fresh process so its peak RSS is its own. Table printed and saved under results/bench/.
# LLAMA_BENCH=/path/to/llama-bench adds llama.cpp's numbers on the same file for comparison.
set -euo pipefail
MODEL=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
PCB=${PCB:-./pcbench}
LENGTHS=${BENCH_LENGTHS:-"512 2048 8192"}
THREADS=${BENCH_THREADS:-"1 2"}
RUNS=${BENCH_RUNS:-3}
out=results/bench
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
json="$out/engine-$stamp.jsonl"
md="$out/engine-$stamp.md"
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
: > "$json"
for t in $THREADS; do
    for n in $LENGTHS; do
        runs=$RUNS
        [ "$n" -ge 8192 ] && runs=$(( RUNS < 3 ? RUNS : 3 ))
        echo "bench: threads $t, prefill $n tokens, $runs runs ..." >&2
        "$PCB" speed -m "$MODEL" -t "$t" --prefill "$n" --decode 64 --runs "$runs" --json >> "$json"
    done
done
{
    echo "# pcbench engine benchmark"
    echo
    echo "- machine: $cpu, $(nproc) cores; $(date -u +%Y-%m-%d)"
    echo "- model: $(basename "$MODEL") (weights dequantised to float32 at load)"
    echo "- commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- prefill: one forward call from an empty cache to the last row's logits; decode: 64 greedy"
    echo "  tokens after a 128-token prompt; median of the runs; peak RSS of the whole process"
    echo
    python3 - "$json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
base = {}
for r in rows:
    if r["threads"] == 1:
        base[r["prefill_tokens"]] = r
print("| threads | prefill tokens | prefill ms | prefill tok/s | vs 1 thread | decode tok/s | peak RSS MiB |")
print("|---:|---:|---:|---:|---:|---:|---:|")
for r in rows:
    b = base.get(r["prefill_tokens"])
    ratio = f'{r["prefill_tok_s"] / b["prefill_tok_s"]:.2f}x' if b else "-"
    print(f'| {r["threads"]} | {r["prefill_tokens"]} | {r["prefill_ms"]:.0f} | {r["prefill_tok_s"]:.1f} | {ratio} '
          f'| {r["decode_tok_s"]:.2f} | {r["peak_rss_bytes"] / 2**20:.0f} |')
PY
    if [ -n "${LLAMA_BENCH:-}" ] && [ -x "$LLAMA_BENCH" ]; then
        # Side by side with llama.cpp on the same GGUF and thread counts (it computes on the
        # quantised weights directly; we dequantise to float32 at load).
        echo
        echo "## Reference: llama.cpp llama-bench ($("$LLAMA_BENCH" --version 2>&1 | grep -m1 -i version || echo version unknown))"
        echo
        "$LLAMA_BENCH" -m "$MODEL" -p "$(echo $LENGTHS | tr ' ' ',')" -n 64 -t "$(echo $THREADS | tr ' ' ',')" \
            -r "$RUNS" -o md 2>/dev/null || echo "(llama-bench failed)"
    fi
} > "$md"
cat "$md"
echo
echo "saved $md and $json"
