#!/usr/bin/env bash
# The README's main job on the embedded default model: a small real sweep from a YAML config
# (configs/demo.yaml: full / pcw / parallelcomp x passkey at 4K and 8K + MiniLongBench triviaqa)
# into results/results.sqlite, resumable (run it again to finish a killed sweep); the same
# methods with attention logs on one 2K sample (configs/demo_attention.yaml); then the paper-shape
# tables and the HTML report results/report/index.html. Extra arguments are config overrides,
# e.g. `scripts/demo.sh MODEL threads=4`.
set -euo pipefail
MODEL=${1:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
shift || true
PCB=./pcbench
echo "== pcbench run configs/demo.yaml (progress on stderr; the summary table at the end)"
$PCB run configs/demo.yaml model="$MODEL" "$@"
echo
echo "== pcbench run configs/demo_attention.yaml (attention logs for the report)"
$PCB run configs/demo_attention.yaml model="$MODEL" "$@"
echo
echo "== pcbench tables --db results/results.sqlite"
$PCB tables --db results/results.sqlite
echo
echo "== pcbench report --db results/results.sqlite --attn results/attn/demo_attention --out results/report"
$PCB report --db results/results.sqlite --attn results/attn/demo_attention --out results/report \
    --title "pcbench demo: full vs pcw vs ParallelComp on SmolLM2-135M-Instruct"
echo
echo "Open results/report/index.html in a browser. Raw rows: sqlite3 results/results.sqlite 'SELECT * FROM samples'"
