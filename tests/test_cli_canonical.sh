#!/usr/bin/env bash
# Canonical strings, variant hashes and row keys are a contract with every results file already
# written: tests/fixtures/canonical_v1.sqlite was written by the code before the layout change from
# the two canonical_v1*.yaml configs (8 methods with non-default knobs; calibration regions with KV
# eviction). Today's code must find every row of both configs done: 0 new rows, 0 pending.
set -u
PCB=${1:-./pcbench}
MODEL=${PCB_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"
fix=tests/fixtures

[ -f "$fix/canonical_v1.sqlite" ] || { notok canonical_fixture "missing $fix/canonical_v1.sqlite"; exit 1; }
if [ ! -f "$MODEL" ]; then
    # The row keys include the model's sha256: without the model nothing can be compared.
    skip canonical_resume "no model at $MODEL (make model)"
    exit 0
fi
cp "$fix/canonical_v1.sqlite" "$tmp/c.sqlite"
before=$(sqlite3 "$tmp/c.sqlite" "SELECT count(*) FROM samples; SELECT count(*) FROM variants")
for cfg in canonical_v1 canonical_v1_calib; do
    if run_ok "$tmp/st.json" "$PCB" status "$fix/$cfg.yaml" "output.db=$tmp/c.sqlite" "model=$MODEL" --json &&
        python3 -c '
import json, sys
rows = json.load(open(sys.argv[1]))
assert rows and all(r["pending"] == 0 and r["failed"] == 0 and r["done"] == r["rows"] for r in rows), rows
' "$tmp/st.json"; then ok "canonical_status_$cfg"; else notok "canonical_status_$cfg" "$(head -c 600 "$tmp/st.json") $(head -c 300 "$tmp/err")"; fi
    if run_ok "$tmp/run.out" "$PCB" run "$fix/$cfg.yaml" "output.db=$tmp/c.sqlite" "model=$MODEL" &&
        grep -q "(0 new)" "$tmp/err"; then ok "canonical_resume_$cfg"; else notok "canonical_resume_$cfg" "$(head -c 600 "$tmp/err")"; fi
done
after=$(sqlite3 "$tmp/c.sqlite" "SELECT count(*) FROM samples; SELECT count(*) FROM variants")
[ "$before" = "$after" ] && ok canonical_no_new_rows || notok canonical_no_new_rows "before $before after $after"
