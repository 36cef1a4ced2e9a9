#!/usr/bin/env bash
# make bench (methods): prefill time and peak memory of full attention vs pcw vs parallelcomp
# at 2K..32K tokens of PG19 text on the default model, all in one `pcbench prefill` process so
# speedups are ratios measured side by side. Table under results/bench/methods-<stamp>.md.
#   BENCH_METHOD_LENGTHS="2048 4096 8192 16384 32768" BENCH_RUNS=3 BENCH_THREADS=<nproc>
#   BENCH_EXTRA="--chunk-tokens 2048"  (knobs passed to every method)
set -euo pipefail
MODEL=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
PCB=${PCB:-./pcbench}
LENGTHS=${BENCH_METHOD_LENGTHS:-"2048 4096 8192 16384 32768"}
RUNS=${BENCH_RUNS:-3}
THREADS=${BENCH_THREADS:-$(nproc)}
METHODS=${BENCH_METHODS:-full-untruncated,pcw,parallelcomp}
out=results/bench
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
json="$out/methods-$stamp.jsonl"
md="$out/methods-$stamp.md"
cpu=$(grep -m1 "model name" /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
echo "bench: methods $METHODS at ${LENGTHS// /,} tokens, $THREADS threads ..." >&2
# shellcheck disable=SC2086
"$PCB" prefill -m "$MODEL" -t "$THREADS" --lengths "${LENGTHS// /,}" --methods "$METHODS" --runs "$RUNS" \
    ${BENCH_EXTRA:-} --json | tee "$json" >&2
{
    echo "# pcbench method benchmark: prefill time and memory"
    echo
    echo "- machine: $cpu, $(nproc) cores, $THREADS threads; $(date -u +%Y-%m-%d)"
    echo "- model: $(basename "$MODEL"); commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "- text: the first N tokens of a PG19 book (document N-32, question 32); prefill = token ids to"
    echo "  the first answer token's logits; median of $RUNS runs (1 at >= 16384 tokens) after a warm-up;"
    echo "  all rows in one process. Speedup = full-attention time / method time at the same length."
    echo "- peak RSS: process high-water mark reset before each method (model weights included);"
    echo "  KV peak: the largest KV-cache allocation alive at once (exact)."
    [ -n "${BENCH_EXTRA:-}" ] && echo "- knobs: ${BENCH_EXTRA}"
    echo
    python3 - "$json" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
methods = list(dict.fromkeys(r["method"] for r in rows))
lengths = sorted({r["tokens"] for r in rows})
by = {(r["method"], r["tokens"]): r for r in rows}
print("| tokens | " + " | ".join(f"{m} ms" for m in methods) + " | " +
      " | ".join(f"{m} speedup" for m in methods[1:]) + " | " + " | ".join(f"{m} peak RSS / KV MiB" for m in methods) + " |")
print("|---:|" + "---:|" * (3 * len(methods) - 1))
for n in lengths:
    r = [by.get((m, n)) for m in methods]
    ms = [f"{x['prefill_ms']:.0f}" if x else "" for x in r]
    sp = [f"{x['speedup']:.2f}x" if x else "" for x in r[1:]]
    mem = [f"{x['peak_rss_bytes']/2**20:.0f} / {x['kv_peak_bytes']/2**20:.0f}" if x else "" for x in r]
    print(f"| {n} | " + " | ".join(ms + sp + mem) + " |")
kept = {(r["method"], r["tokens"]): f"{r['kept_chunks']}/{r['chunks']}" for r in rows if r["chunks"]}
if kept:
    print("\nchunks kept/total: " + ", ".join(f"{m} {n}: {v}" for (m, n), v in sorted(kept.items(), key=lambda x: (x[0][1], x[0][0]))))
PY
} > "$md"
cat "$md"
