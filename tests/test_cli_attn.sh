#!/usr/bin/env bash
# End-to-end tests of `pcbench attn log | classify | export` on the real default model: the HDF5
# layout seen by h5dump, labels in the file and in SQLite, gnuplot data files, bad input.
set -u
PCB=${1:-./pcbench}
MODEL=${PCB_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
DATA=${PCB_DATA:-data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

for sub in log classify export; do
    if run_ok "$tmp/help" $PCB attn $sub --help && grep -q "usage: pcbench attn $sub" "$tmp/help"; then ok "help_attn_$sub"; else
        notok "help_attn_$sub"; fi
done
expect_fail attn_unknown_subcommand "unknown subcommand 'frobnicate'" $PCB attn frobnicate
expect_fail attn_classify_missing_file "$tmp/none.h5" $PCB attn classify "$tmp/none.h5"
echo "not hdf5" > "$tmp/text.h5"
expect_fail attn_classify_not_hdf5 "text.h5: not an HDF5 file" $PCB attn classify "$tmp/text.h5"

book="$DATA/text/pg19/pg19_10985_infant_system.txt"
if [ ! -f "$book" ]; then
    notok attn_data "the project data ($DATA) lacks $book"
    exit 1
fi
if [ ! -f "$MODEL" ]; then
    for n in attn_log_h5dump attn_log_generated attn_classify_db attn_classify_idempotent attn_export \
             attn_bad_thresholds attn_log_bad_sample_id; do
        skip $n "no model at $MODEL (make model)"
    done
    exit 0
fi
ctx=(--context "$book" --context-tokens 1200 --question "What is the book about?" --chat -n 4)

# pcw over 4 chunks with every generated token logged too
if run_ok "$tmp/log.json" $PCB attn log --method pcw --chunk-tokens 330 --generated --sample-id s1 "${ctx[@]}" \
    --out "$tmp/pcw.h5" --json && [ -f "$tmp/pcw.h5" ] && [ ! -e "$tmp/pcw.h5.tmp" ] &&
    h5dump -H "$tmp/pcw.h5" > "$tmp/h5" 2>&1; then
    if grep -q 'GROUP "sample_s1"' "$tmp/h5" && grep -q 'GROUP "layer_29"' "$tmp/h5" &&
        grep -q 'DATASET "attn"' "$tmp/h5" && grep -q 'DATASET "chunks"' "$tmp/h5" &&
        grep -q 'ATTRIBUTE "chunk_starts"' "$tmp/h5" && grep -q 'DATASET "kept"' "$tmp/h5"; then
        ok attn_log_h5dump; else notok attn_log_h5dump "$(head -c 600 "$tmp/h5")"; fi
    n_answer=$(python3 -c "import json; print(json.load(open('$tmp/log.json'))['answer_tokens'])")
    n_tokens=$(grep -c 'GROUP "token_' "$tmp/h5")
    # every generated token but the last is fed back (and logged)
    if [ "$n_answer" -ge 1 ] && [ "$n_tokens" -eq $((n_answer - 1)) ]; then ok attn_log_generated; else
        notok attn_log_generated "$n_answer answer tokens, $n_tokens logged"; fi
else
    notok attn_log_h5dump "$(tail -c 600 "$tmp/err")"; notok attn_log_generated "not run: no log"
fi

if run_ok "$tmp/cls.json" $PCB attn classify "$tmp/pcw.h5" --db "$tmp/r.sqlite" --json; then
    rows=$(sqlite3 "$tmp/r.sqlite" "select count(*) from attn_classes where sample_id='s1' and step=0")
    layer_multi=$(sqlite3 "$tmp/r.sqlite" "select count(*) from attn_classes where head=-1 and label='multi-sink'")
    if [ "$rows" -eq 300 ] && h5dump -H "$tmp/pcw.h5" | grep -q 'DATASET "classes"' &&
        python3 -c "
import json; d=json.load(open('$tmp/cls.json')); s=d['samples'][0]
assert s['id'] == 's1' and len(s['layers']) == 30
assert sum(s['head_totals'].values()) == 270
assert sum(1 for l in s['layers'] if l['label'] == 'multi-sink') == $layer_multi"; then
        ok attn_classify_db; else notok attn_classify_db "rows=$rows"; fi
    # again: rows replaced, not duplicated; the file stays readable
    if run_ok "$tmp/cls2" $PCB attn classify "$tmp/pcw.h5" --db "$tmp/r.sqlite" &&
        [ "$(sqlite3 "$tmp/r.sqlite" 'select count(*) from attn_classes')" -eq 300 ] &&
        [ ! -e "$tmp/pcw.h5.classify.tmp" ] && grep -q "^layer  head-avg" "$tmp/cls2"; then
        ok attn_classify_idempotent; else notok attn_classify_idempotent "$(tail -c 400 "$tmp/err")"; fi
else
    notok attn_classify_db "$(tail -c 600 "$tmp/err")"; notok attn_classify_idempotent "not run: classify failed"
fi

if run_ok "$tmp/exp" $PCB attn export "$tmp/pcw.h5" --out "$tmp/plots" --bins 50 &&
    [ "$(grep -vc '^#\|^$' "$tmp/plots/sample_s1_attn.dat")" -eq 1500 ] &&
    [ "$(grep -vc '^#' "$tmp/plots/sample_s1_chunks.dat")" -ge 120 ] &&
    [ "$(grep -vc '^#' "$tmp/plots/sample_s1_head_classes.dat")" -eq 270 ] &&
    [ "$(grep -vc '^#' "$tmp/plots/sample_s1_class_counts.dat")" -eq 4 ] &&
    grep -q "^0-7 " "$tmp/plots/sample_s1_class_counts.dat"; then ok attn_export; else
    notok attn_export "$(tail -c 400 "$tmp/err") $(ls "$tmp/plots" 2>&1)"; fi

cp "$tmp/pcw.h5" "$tmp/keep.h5"
expect_fail attn_bad_thresholds "uniform_entropyy" $PCB attn classify "$tmp/pcw.h5" --thresholds uniform_entropyy=0.5
if cmp -s "$tmp/pcw.h5" "$tmp/keep.h5"; then ok attn_bad_thresholds_file_untouched; else notok attn_bad_thresholds_file_untouched; fi
expect_fail attn_log_bad_sample_id "sample id 'a b'" $PCB attn log --method full "${ctx[@]}" --sample-id "a b" \
    --out "$tmp/bad.h5"
if [ ! -e "$tmp/bad.h5" ] && [ ! -e "$tmp/bad.h5.tmp" ]; then ok attn_log_failure_leaves_nothing; else
    notok attn_log_failure_leaves_nothing "$(ls "$tmp")"; fi
