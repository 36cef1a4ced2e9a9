#!/usr/bin/env bash
# Passkey retrieval by method beyond the trained context: accuracy of each method at each
# length (tokens) over several needle depths, JSON lines and a Markdown table under
# results/passkey/. Defaults: 2x and 4x the default model's trained 8192 tokens.
#   PASSKEY_LENGTHS="16384 32768" PASSKEY_DEPTHS=0.1,0.5,0.9
#   PASSKEY_VARIANTS="parallelcomp parallelcomp:--chunk-tokens=2048 full ..."  (method[:knob=value,...])
set -euo pipefail
MODEL=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
PCB=${PCB:-./pcbench}
LENGTHS=${PASSKEY_LENGTHS:-"16384 32768"}
DEPTHS=${PASSKEY_DEPTHS:-0.1,0.5,0.9}
VARIANTS=${PASSKEY_VARIANTS:-"parallelcomp:--chunk-tokens=2048 parallelcomp full full-untruncated"}
THREADS=${PASSKEY_THREADS:-$(nproc)}
out=results/passkey
mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
json="$out/passkey-$stamp.jsonl"
: > "$json"
for variant in $VARIANTS; do
    method=${variant%%:*}
    knobs=""
    [ "$variant" != "$method" ] && knobs=$(echo "${variant#*:}" | tr ',=' '  ')
    for n in $LENGTHS; do
        echo "passkey: $variant at $n tokens, depths $DEPTHS ..." >&2
        # shellcheck disable=SC2086
        "$PCB" passkey -m "$MODEL" -t "$THREADS" --chat --method "$method" $knobs --lengths "$n" --depths "$DEPTHS" \
            --json | grep '"depth"' | VARIANT="$variant" python3 -c "
import json, os, sys
for l in sys.stdin:
    d = json.loads(l); d['variant'] = os.environ['VARIANT']; print(json.dumps(d))" >> "$json"
    done
done
python3 - "$json" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" > "$out/passkey-$stamp.md" <<'PY'
import json, sys, collections
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
acc = collections.OrderedDict()
for r in rows:
    a = acc.setdefault(r["variant"], collections.OrderedDict()).setdefault(r["tokens"], [0, 0, 0.0])
    a[0] += r["correct"]; a[1] += 1; a[2] += r["prefill_ms"]
lengths = sorted({r["tokens"] for r in rows})
print(f"# passkey retrieval (commit {sys.argv[2]})\n")
print("| method | " + " | ".join(f"{n} tokens" for n in lengths) + " |")
print("|---|" + "---:|" * len(lengths))
for m, by in acc.items():
    cells = [f"{by[n][0]}/{by[n][1]} ({by[n][2]/by[n][1]/1000:.0f} s)" if n in by else "" for n in lengths]
    print(f"| {m} | " + " | ".join(cells) + " |")
print("\ncorrect/samples (mean prefill time per sample)")
PY
cat "$out/passkey-$stamp.md"
