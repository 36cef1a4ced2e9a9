#!/usr/bin/env bash
# End-to-end tests of `pcbench run` / `pcbench status` on the real model: a run killed with
# SIGKILL and started again ends with the same rows as an uninterrupted run (no row lost or
# duplicated), shards merged equal the whole run, and bad input (malformed JSONL, missing files,
# empty tasks, impossible budgets, bad configs) gives clear errors and loses nothing.
set -u
PCB=${1:-./pcbench}
MODEL=${PCB_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
tmp=$(mktemp -d)
trap 'kill -9 $(jobs -p) 2>/dev/null; rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

if [ ! -f "$MODEL" ]; then
    skip run_end_to_end "no model at $MODEL (make model)"
    exit 0
fi

# 12 short rows: 2 methods x passkey at 2 lengths x 3 samples. Rows take well under a second each
# (optimised build), so the kill lands in the middle of the sweep.
cat > "$tmp/sweep.yaml" <<EOF
name: killtest
model: $MODEL
threads: 2
output:
  db: $tmp/a.sqlite
tasks:
  - name: passkey
    samples: 3
    lengths: [384, 512]
method:
  name: parallelcomp
  chunk_tokens: 128
  topk_chunks: 1
sweep:
  method.name: [full, parallelcomp]
EOF
cfg=$tmp/sweep.yaml
rows_of() {  # the comparable content of a results file (times and run ids left out)
    sqlite3 "$1" "SELECT row_key, variant_hash, task, sample_id, context_length, depth, status, prediction, score,
                  kept_chunks, n_chunks, kv_slots, prompt_tokens FROM samples ORDER BY row_key"
}
done_in() { sqlite3 "$1" "SELECT count(*) FROM samples WHERE status = 'done'" 2>/dev/null || echo 0; }

# Uninterrupted reference.
if run_ok "$tmp/ref.out" $PCB run "$cfg" output.db="$tmp/ref.sqlite" && [ "$(done_in "$tmp/ref.sqlite")" = 12 ] &&
    grep -q "passkey" "$tmp/ref.out"; then ok run_reference; else notok run_reference "$(tail -5 "$tmp/err")"; fi
rows_of "$tmp/ref.sqlite" > "$tmp/ref.rows"

# status before anything ran in a.sqlite, then with --json after the reference.
if run_ok "$tmp/st" $PCB status "$cfg" && grep -q "no results yet (12 rows planned)" "$tmp/st"; then ok status_no_results; else
    notok status_no_results "$(cat "$tmp/st" "$tmp/err")"; fi
if run_ok "$tmp/st.json" $PCB status "$cfg" output.db="$tmp/ref.sqlite" --json &&
    python3 -c "import json,sys; a=json.load(open(sys.argv[1])); assert len(a)==2 and all(r['done']==6 and r['pending']==0 for r in a)" \
        "$tmp/st.json" 2>/dev/null; then ok status_json_counts; else notok status_json_counts "$(cat "$tmp/st.json")"; fi

# Kill 1: while the model loads or the plan is written (the earliest moment).
$PCB run "$cfg" > /dev/null 2>&1 &
pid=$!
sleep 0.2
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
# Kill 2: in the middle of the sweep, once a few rows are done.
$PCB run "$cfg" > /dev/null 2> "$tmp/kill2.err" &
pid=$!
for _ in $(seq 1 600); do
    n=$(done_in "$tmp/a.sqlite")
    [ "$n" -ge 3 ] && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
at_kill=$(done_in "$tmp/a.sqlite")
if [ "$at_kill" -ge 1 ] && [ "$at_kill" -lt 12 ]; then ok kill_mid_sweep; else
    notok kill_mid_sweep "killed with $at_kill of 12 rows done (want a partial sweep)"; fi
# Resume: only the missing rows run, and the final rows equal the uninterrupted run's.
if run_ok "$tmp/resume.out" $PCB run "$cfg" && grep -q "already done" "$tmp/err"; then ok resume_runs; else
    notok resume_runs "$(tail -3 "$tmp/err")"; fi
skipped=$(grep -o "[0-9]* already done" "$tmp/err" | grep -o "^[0-9]*")
if [ "${skipped:-0}" -ge "$at_kill" ]; then ok resume_skips_done_rows; else
    notok resume_skips_done_rows "skipped ${skipped:-?}, $at_kill were done at the kill"; fi
rows_of "$tmp/a.sqlite" > "$tmp/a.rows"
if cmp -s "$tmp/ref.rows" "$tmp/a.rows" && [ "$(wc -l < "$tmp/a.rows")" = 12 ]; then ok kill_resume_equals_uninterrupted; else
    notok kill_resume_equals_uninterrupted "$(diff "$tmp/ref.rows" "$tmp/a.rows" | head -5)"; fi
# A third run does nothing.
if run_ok "$tmp/again.out" $PCB run "$cfg" && grep -q "0 done, 0 failed, 12 already done" "$tmp/err"; then
    ok rerun_is_noop; else notok rerun_is_noop "$(tail -2 "$tmp/err")"; fi

# Shards: 0/2 and 1/2 into two files, merged, equal the whole run.
run_ok "$tmp/s0" $PCB run "$cfg" output.db="$tmp/s0.sqlite" --shard 0/2 && s0=0 || s0=1
run_ok "$tmp/s1" $PCB run "$cfg" output.db="$tmp/s1.sqlite" --shard 1/2 && s1=0 || s1=1
if [ $s0 = 0 ] && [ $s1 = 0 ] && [ "$(done_in "$tmp/s0.sqlite")" = 6 ] && [ "$(done_in "$tmp/s1.sqlite")" = 6 ]; then
    ok shards_split_plan; else notok shards_split_plan "$(tail -3 "$tmp/err")"; fi
run_ok "$tmp/m" $PCB merge "$tmp/s0.sqlite" "$tmp/s1.sqlite" -o "$tmp/merged.sqlite"
rows_of "$tmp/merged.sqlite" > "$tmp/merged.rows"
if cmp -s "$tmp/ref.rows" "$tmp/merged.rows"; then ok shards_merged_equal_whole_run; else
    notok shards_merged_equal_whole_run "$(diff "$tmp/ref.rows" "$tmp/merged.rows" | head -5)"; fi
# Merging is idempotent: the same shard again adds no run and changes no row.
runs_in() { sqlite3 "$1" "SELECT count(*) FROM runs" 2>/dev/null || echo -1; }
runs_before=$(runs_in "$tmp/merged.sqlite")
run_ok "$tmp/m2" $PCB merge "$tmp/s0.sqlite" -o "$tmp/merged.sqlite"
if [ "$runs_before" = 2 ] && [ "$(runs_in "$tmp/merged.sqlite")" = 2 ] &&
    rows_of "$tmp/merged.sqlite" | cmp -s "$tmp/ref.rows" -; then ok merge_again_is_noop; else
    notok merge_again_is_noop "runs $runs_before -> $(runs_in "$tmp/merged.sqlite") (want 2 -> 2)"; fi
expect_fail shard_out_of_range "shard '2/2': want I/N" $PCB run "$cfg" --shard 2/2

# Bad input. A data folder of our own: LongBench JSONL with a malformed line in the middle.
mkdir -p "$tmp/data/longbench"
ln -s "$(cd "$(dirname "$0")/.." && pwd)/data/parallelcomp_config" "$tmp/data/parallelcomp_config"
{
    echo '{"input": "Who wrote the letter?", "context": "Passage 1:\nAnna wrote the letter to Ben in May.", "answers": ["Anna"], "length": 9, "dataset": "hotpotqa", "language": "en", "all_classes": null, "_id": "s1"}'
    echo '{"input": "Who got the letter?", "context": "Passage 1:\nAnna wrote'
    echo '{"input": "When was it written?", "context": "Passage 1:\nAnna wrote the letter to Ben in May.", "answers": ["May"], "length": 9, "dataset": "hotpotqa", "language": "en", "all_classes": null, "_id": "s3"}'
} > "$tmp/data/longbench/hotpotqa.jsonl"
: > "$tmp/data/longbench/musique.jsonl"
cat > "$tmp/bad.yaml" <<EOF
name: badinput
model: $MODEL
threads: 2
output:
  db: $tmp/bad.sqlite
tasks:
  - name: hotpotqa
method:
  name: full
EOF
if PCB_DATA=$tmp/data run_ok "$tmp/bad.out" $PCB run "$tmp/bad.yaml" &&
    grep -q "hotpotqa.jsonl:2" "$tmp/err" && grep -q "2 done, 1 failed" "$tmp/err"; then ok malformed_jsonl_line_fails_row_run_goes_on; else
    notok malformed_jsonl_line_fails_row_run_goes_on "$(tail -4 "$tmp/err")"; fi
err=$(sqlite3 "$tmp/bad.sqlite" "SELECT sample_id || ' | ' || error FROM samples WHERE status = 'failed'" 2>/dev/null)
if echo "$err" | grep -q "hotpotqa.jsonl:2 | "; then ok failed_row_records_line; else notok failed_row_records_line "$err"; fi
expect_fail empty_task "musique.jsonl has no samples" env PCB_DATA="$tmp/data" $PCB run "$tmp/bad.yaml" "tasks=[{name: musique}]" \
    output.db="$tmp/empty.sqlite"
expect_fail missing_data_file "narrativeqa.jsonl" env PCB_DATA="$tmp/data" $PCB run "$tmp/bad.yaml" "tasks=[{name: narrativeqa}]" \
    output.db="$tmp/missing.sqlite"
if [ ! -e "$tmp/empty.sqlite" ] && [ ! -e "$tmp/missing.sqlite" ]; then ok data_errors_create_no_results_file; else
    notok data_errors_create_no_results_file; fi
expect_fail missing_model "nope.gguf" $PCB run "$cfg" model="$tmp/nope.gguf" output.db="$tmp/nomodel.sqlite"
expect_fail missing_config "missing.yaml" $PCB run "$tmp/missing.yaml"
printf 'name: x\ntasks:\n  - name: passkey\n    lenghts: [512]\n' > "$tmp/typo.yaml"
expect_fail unknown_key_names_file_line_key "typo.yaml:4: key 'tasks.0.lenghts': unknown key" $PCB run "$tmp/typo.yaml"
expect_fail bad_override "command line 'method.capacity=-3'" $PCB run "$cfg" method.capacity=-3
# A sample longer than any budget: a 32-token model budget cannot hold the question and answer.
if run_ok "$tmp/budget.out" $PCB run "$cfg" output.db="$tmp/budget.sqlite" method.model_budget=48 sweep={} \
    tasks.0.samples=1 tasks.0.lengths=[384] && grep -q "0 done, 1 failed" "$tmp/err"; then ok impossible_budget_fails_row; else
    notok impossible_budget_fails_row "$(tail -3 "$tmp/err")"; fi
err=$(sqlite3 "$tmp/budget.sqlite" "SELECT error FROM samples" 2>/dev/null)
if echo "$err" | grep -qi "budget"; then ok impossible_budget_message; else notok impossible_budget_message "$err"; fi

# method.topk_chunks set by the config (here swept) is the value used, also on passkey, whose
# per-task default (1 chunk) applies only when the knob is not set. 512 tokens make 4+ chunks.
cat > "$tmp/topk.yaml" <<EOF
name: topk
model: $MODEL
threads: 2
tasks:
  - name: passkey
    lengths: [512]
    max_new_tokens: 8
method:
  name: parallelcomp
  chunk_tokens: 128
sweep:
  method.topk_chunks: [1, 2]
EOF
kept_of() {  # "topk_chunks kept;" per done row with at least 4 chunks
    sqlite3 "$1" "SELECT substr(v.canonical, instr(v.canonical, 'method.topk_chunks=') + 19, 1),
                  length(s.kept_chunks) - length(replace(s.kept_chunks, ',', '')) + 1
                  FROM samples s JOIN variants v USING (variant_hash) WHERE s.status = 'done' AND s.n_chunks >= 4
                  ORDER BY 1" 2>/dev/null | tr '|\n' ' ;'
}
if run_ok "$tmp/topk.out" $PCB run "$tmp/topk.yaml" output.db="$tmp/topk.sqlite" &&
    [ "$(kept_of "$tmp/topk.sqlite")" = "1 1;2 2;" ]; then ok topk_sweep_is_used_on_passkey; else
    notok topk_sweep_is_used_on_passkey "topk, kept: $(kept_of "$tmp/topk.sqlite") $(tail -2 "$tmp/err")"; fi
if run_ok "$tmp/topk1.out" $PCB run "$tmp/topk.yaml" output.db="$tmp/topk_unset.sqlite" sweep={} &&
    [ "$(kept_of "$tmp/topk_unset.sqlite")" = "3 1;" ]; then ok topk_unset_takes_task_default; else
    notok topk_unset_takes_task_default "topk, kept: $(kept_of "$tmp/topk_unset.sqlite") $(tail -2 "$tmp/err")"; fi

# -m / -t / --backend are overrides of model / threads / backend.
expect_fail common_model_option_is_override "nope.gguf" $PCB status "$cfg" -m "$tmp/nope.gguf"
expect_fail common_threads_option_is_override "command line 'threads=2000'" $PCB status "$cfg" -t 2000

# Every shipped config loads and plans (data present), and configs/README.md lists the current keys.
here=$(cd "$(dirname "$0")/.." && pwd)
for f in "$here"/configs/*.yaml; do
    name=$(basename "$f" .yaml)
    if run_ok "$tmp/cfg.out" $PCB status "$f" output.db="$tmp/none-$name.sqlite" model="$MODEL" &&
        grep -qE "no results yet \([0-9]+ rows planned\)" "$tmp/cfg.out"; then ok "config_${name}_plans"; else
        notok "config_${name}_plans" "$(cat "$tmp/err" | head -3)"; fi
done
$PCB run --keys > "$tmp/keys.md" 2>/dev/null
sed -n '/<!-- keys:begin -->/,/<!-- keys:end -->/p' "$here/configs/README.md" | sed '1d;$d' > "$tmp/readme-keys.md"
if [ -s "$tmp/keys.md" ] && cmp -s "$tmp/keys.md" "$tmp/readme-keys.md"; then ok configs_readme_keys_current; else
    notok configs_readme_keys_current "configs/README.md key table differs from pcbench run --keys (regenerate it)"; fi
