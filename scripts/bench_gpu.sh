#!/usr/bin/env bash
# make bench-gpu: the paper's scale on one GPU. Prefill time and peak device memory of full
# attention vs parallelcomp at 8K..128K tokens with the default model and with a random-weight
# model of Llama-3-8B shape (speed only), each model in one `pcbench prefill` process so the
# speedups are ratios measured side by side; plus the attention kernel's TFLOP/s against the
# device's bf16 dense peak. Tables under results/bench/gpu-<stamp>.md.
#   BENCH_GPU_LENGTHS="8192 16384 32768 65536 131072" BENCH_RUNS=3 BENCH_PEAK_TFLOPS=989
#   PCB_TEXT=<long text file>   (default: a PG19 book; repeated to the longest length)
set -euo pipefail
MODEL=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
PCB=${PCB:-./pcbench}
LENGTHS=${BENCH_GPU_LENGTHS:-"8192 16384 32768 65536 131072"}
RUNS=${BENCH_RUNS:-3}
PEAK=${BENCH_PEAK_TFLOPS:-989}
TEXT=${PCB_TEXT:-${PCB_DATA:-data}/text/pg19/pg19_10985_infant_system.txt}
out=${BENCH_OUT:-results/bench}
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
base="$out/gpu-$stamp"
lens=${LENGTHS// /,}
echo "bench-gpu: kernels, then prefill of full-untruncated vs parallelcomp at $lens tokens ..." >&2
"$PCB" kernels --backend cuda --lengths "4096,16384,65536,131072" --peak "$PEAK" --json | tee "$base-kernels.jsonl" >&2
"$PCB" prefill --backend cuda -m "$MODEL" --lengths "$lens" --methods full-untruncated,parallelcomp --runs "$RUNS" \
    --text "$TEXT" --json | tee "$base-smollm2.jsonl" >&2
"$PCB" prefill --backend cuda -m "$MODEL" --random-model llama3-8b --lengths "$lens" \
    --methods full-untruncated,parallelcomp --runs "$RUNS" --text "$TEXT" --json | tee "$base-llama3-8b.jsonl" >&2
python3 - "$base" "$PEAK" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" > "$base.md" <<'PY'
import json, sys
base, peak, commit = sys.argv[1], float(sys.argv[2]), sys.argv[3]
load = lambda f: [json.loads(l) for l in open(f) if l.strip().startswith("{")]
kern = load(base + "-kernels.jsonl")
dev = kern[0]["device"] if kern else "?"
print("# pcbench GPU benchmark\n")
print(f"- device: {dev}; peak used for fractions: {peak:g} TFLOP/s (bf16 dense); commit {commit}")
print("- prefill = token ids to the first answer token's logits; median of the runs (1 at >= 16384")
print("  tokens) after a warm-up; both methods of a model in one process. parallelcomp: default knobs")
print("  (chunks of the trained context 8192, 3 kept chunks, no KV eviction). Peak device memory:")
print("  largest total of live device allocations (weights included) during the method.\n")
print("## Attention kernel\n")
print("| kernel | shape | tokens | ms | TFLOP/s | of peak |\n|---|---|---:|---:|---:|---:|")
for r in kern:
    print(f"| {r['kernel']} | {r['shape']} | {r['tokens']} | {r['ms']:.2f} | {r['tflops']:.1f} | {100*r['peak_fraction']:.1f}% |")
for name, f in (("SmolLM2-135M-Instruct (real weights)", "-smollm2.jsonl"), ("Llama-3-8B shape (random weights)", "-llama3-8b.jsonl")):
    rows = load(base + f)
    by = {(r["method"], r["tokens"]): r for r in rows}
    print(f"\n## Prefill: {name}\n")
    print("| tokens | full ms | parallelcomp ms | speedup | full peak GiB | parallelcomp peak GiB | kept/chunks |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for n in sorted({r["tokens"] for r in rows}):
        a, b = by.get(("full-untruncated", n)), by.get(("parallelcomp", n))
        if not a or not b: continue
        print(f"| {n} | {a['prefill_ms']:.0f} | {b['prefill_ms']:.0f} | {b['speedup']:.2f}x | "
              f"{a['peak_device_bytes']/2**30:.1f} | {b['peak_device_bytes']/2**30:.1f} | {b['kept_chunks']}/{b['chunks']} |")
PY
cat "$base.md"
