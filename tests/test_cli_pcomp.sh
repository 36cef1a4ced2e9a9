#!/usr/bin/env bash
# End-to-end tests of `pcbench pcomp`, `passkey` and `ppl --method` on the real default model
# (skipped with a message when the model is missing; missing project data fails).
set -u
PCB=${1:-./pcbench}
MODEL=${PCB_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
DATA=${PCB_DATA:-data}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

for c in pcomp passkey prefill; do
    if run_ok "$tmp/help" $PCB $c --help && grep -q "usage: pcbench $c" "$tmp/help"; then ok "help_$c"; else notok "help_$c"; fi
done
book="$DATA/text/pg19/pg19_22424_frank_merriwell_down_south.txt"
if [ ! -f "$book" ] || [ ! -d "$DATA/parallelcomp_config" ]; then
    notok pcomp_data "the project data ($DATA) lacks $book or parallelcomp_config/"
    exit 1
fi
if [ ! -f "$MODEL" ]; then
    for n in pcomp_json pcw_one_chunk_equals_full pcw_chat_one_chunk_equals_full prefill_json pcomp_kv_eviction pcomp_calibration pcomp_baselines \
             passkey_parallelcomp ppl_method; do
        skip $n "no model at $MODEL (make model)"
    done
    exit 0
fi
# json_check NAME FILE PYTHON: runs PYTHON with d = the JSON in FILE.
json_check() {
    local name=$1 file=$2 code=$3
    if python3 -c "import json; d=json.load(open('$file'))
$code" 2>>"$tmp/err"; then ok "$name"; else notok "$name" "$(tail -c 600 "$tmp/err")"; fi
}
ctx=(--context "$book" --context-tokens 1500 --question "Who is Frank Merriwell?" --task narrativeqa)

if run_ok "$tmp/pc.json" $PCB pcomp "${ctx[@]}" --chunk-tokens 700 --topk 2 -n 8 --json; then
    json_check pcomp_json "$tmp/pc.json" "
for k in ('answer', 'chunks', 'kept_chunks', 'kv_slots', 'prefill_ms', 'peak_bytes'): assert k in d, k
ch = d['chunks']; assert len(ch) == 3 and len(d['kept_chunks']) == 2, ch
assert [c['index'] for c in ch if c['kept']] == d['kept_chunks']
worst_kept = max(c['score'] for c in ch if c['kept']); assert all(c['score'] >= worst_kept for c in ch if not c['kept'])
assert ch[0]['doc_begin'] == 0 and ch[-1]['doc_end'] == d['doc_tokens'] and all(c['tokens'] <= 700 for c in ch)
assert d['question_pos'] == max(c['tokens'] for c in ch if c['kept'])
assert len(d['kv_slots']) == 30 and len(set(d['kv_slots'])) == 1
assert d['prefill_ms'] > 0 and d['peak_bytes'] > 100e6 and d['kv_peak_bytes'] > 0"
else notok pcomp_json "$(cat "$tmp/err")"; fi

# One chunk, nothing evicted: pcw is full attention, so the greedy answers agree.
if run_ok "$tmp/pcw.json" $PCB pcomp "${ctx[@]}" --method pcw -n 12 --json &&
   run_ok "$tmp/full.json" $PCB pcomp "${ctx[@]}" --method full -n 12 --json; then
    json_check pcw_one_chunk_equals_full "$tmp/pcw.json" "
f = json.load(open('$tmp/full.json'))
assert len(d['chunks']) == 1 and d['answer'] == f['answer'] and d['kv_slots'] == f['kv_slots'], (d['answer'], f['answer'])"
else notok pcw_one_chunk_equals_full "$(cat "$tmp/err")"; fi

# The same with the chat template: every chunk opens the user turn, the question closes it.
if run_ok "$tmp/pcwc.json" $PCB pcomp "${ctx[@]}" --chat --method pcw -n 12 --json &&
   run_ok "$tmp/fullc.json" $PCB pcomp "${ctx[@]}" --chat --method full -n 12 --json; then
    json_check pcw_chat_one_chunk_equals_full "$tmp/pcwc.json" "
f = json.load(open('$tmp/fullc.json'))
assert d['answer'] == f['answer'] and d['kv_slots'] == f['kv_slots'] and d['prompt_tokens'] == f['prompt_tokens'], (d, f)"
else notok pcw_chat_one_chunk_equals_full "$(cat "$tmp/err")"; fi

if run_ok "$tmp/pf.jsonl" $PCB prefill --lengths 400,700 --runs 1 --methods full-untruncated,parallelcomp \
       --chunk-tokens 300 --topk 1 --json; then
    if python3 -c "import json; rows=[json.loads(l) for l in open('$tmp/pf.jsonl')]
assert [(r['method'], r['tokens']) for r in rows] == [('full-untruncated', 400), ('parallelcomp', 400), ('full-untruncated', 700), ('parallelcomp', 700)], rows
for r in rows: assert r['prefill_ms'] > 0 and r['peak_rss_bytes'] > 0 and r['kv_peak_bytes'] > 0
assert rows[0]['speedup'] == 1 and rows[3]['kept_chunks'] == 1 and rows[3]['chunks'] == 3, rows
assert rows[3]['kv_peak_bytes'] < rows[2]['kv_peak_bytes'], rows" 2>>"$tmp/err"; then ok prefill_json; else notok prefill_json "$(tail -c 600 "$tmp/err")"; fi
else notok prefill_json "$(cat "$tmp/err")"; fi

# KV eviction inside chunks: the same chunks kept, 64 context slots per chunk and KV head.
if run_ok "$tmp/kv.json" $PCB pcomp "${ctx[@]}" --chunk-tokens 700 --topk 2 --kv-eviction --capacity 64 -n 8 --json; then
    json_check pcomp_kv_eviction "$tmp/kv.json" "
a = json.load(open('$tmp/pc.json'))
assert d['kept_chunks'] == a['kept_chunks']
q = a['kv_slots'][0] // 3 - sum(c['tokens'] for c in a['chunks'] if c['kept'])
assert all(s == 3 * (2 * 64 + q) for s in d['kv_slots']), (d['kv_slots'][:3], q)
assert d['kv_peak_bytes'] < a['kv_peak_bytes']"
else notok pcomp_kv_eviction "$(cat "$tmp/err")"; fi

# Calibration acts in the chosen layers only.
if run_ok "$tmp/cal.json" $PCB pcomp "${ctx[@]}" --chunk-tokens 700 --topk 2 --calib-layers 2-5 --calib-region sink \
       --calib-threshold 0.05 -n 8 --json; then
    json_check pcomp_calibration "$tmp/cal.json" "
ev = d['calib_evicted']; a = json.load(open('$tmp/pc.json'))
assert sum(ev[2:6]) > 0 and sum(ev) == sum(ev[2:6]), ev
assert all(d['kv_slots'][l] == a['kv_slots'][l] - ev[l] for l in range(30))"
else notok pcomp_calibration "$(cat "$tmp/err")"; fi

bl_ok=1
for m in streamingllm snapkv h2o pyramidkv; do
    if run_ok "$tmp/$m.json" $PCB pcomp "${ctx[@]}" --method $m --capacity 256 -n 4 --json; then
        python3 -c "import json; d=json.load(open('$tmp/$m.json')); s=d['kv_slots']
assert (s[0] > s[-1]) if '$m' == 'pyramidkv' else all(x == 3 * 256 for x in s), s
assert abs(sum(s) / 30 - 3 * 256) < 3 * 30, s" 2>>"$tmp/err" || bl_ok=0
    else bl_ok=0; fi
done
[ $bl_ok = 1 ] && ok pcomp_baselines || notok pcomp_baselines "$(tail -c 600 "$tmp/err")"

# Retrieval through chunk selection on the real model: 4 chunks, only the needle's kept.
if run_ok "$tmp/pk.json" $PCB passkey --lengths 3000 --depths 0.6 --chat --chunk-tokens 900 --topk 1 --json; then
    if head -1 "$tmp/pk.json" | python3 -c "import json,sys; d=json.loads(sys.stdin.readline())
assert d['correct'] and d['chunks'] == 4 and d['kept_chunks'] == 1, d" 2>>"$tmp/err"; then ok passkey_parallelcomp
    else notok passkey_parallelcomp "$(cat "$tmp/pk.json") $(tail -c 300 "$tmp/err")"; fi
else notok passkey_parallelcomp "$(cat "$tmp/err")"; fi

# Perplexity of the same continuation tokens under full attention and ParallelComp.
if run_ok "$tmp/pf.json" $PCB ppl --method full --ctx 1024 --max-tokens 2048 --continuation 128 --json "$book" &&
   run_ok "$tmp/pp.json" $PCB ppl --method parallelcomp --chunk-tokens 300 --topk 2 --ctx 1024 --max-tokens 2048 \
       --continuation 128 --json "$book"; then
    json_check ppl_method "$tmp/pp.json" "
f = json.load(open('$tmp/pf.json'))
assert d['tokens'] == f['tokens'] == 2 * 128 and d['windows'] == 2, (d, f)
assert d['method'] == 'parallelcomp' and f['method'] == 'full' and 3 < f['ppl'] < d['ppl'] * 1.5 and d['ppl'] < 300, (d, f)"
else notok ppl_method "$(cat "$tmp/err")"; fi

expect_fail pcomp_bad_method "unknown method 'fastest'" $PCB pcomp "${ctx[@]}" --method fastest
expect_fail pcomp_impossible_budget "impossible budget" $PCB pcomp "${ctx[@]}" --chunk-tokens 20
expect_fail pcomp_bad_layers "calibration layers 0-40" $PCB pcomp "${ctx[@]}" --calib-layers 0-40
expect_fail pcomp_bad_layers_syntax "expected A-B" $PCB pcomp "${ctx[@]}" --calib-layers 3
expect_fail pcomp_unknown_task "dataset2prompt_context.json.*no template for task 'nope'" \
    $PCB pcomp --context "$book" --question q --task nope
expect_fail pcomp_missing_context "cannot open" $PCB pcomp --context "$tmp/none.txt" --question q
printf 'short text' > "$tmp/short.txt"
expect_fail pcomp_context_too_short "short.txt has 2 tokens" $PCB pcomp --context "$tmp/short.txt" --question q \
    --context-tokens 100
expect_fail pcomp_kv_eviction_full "kv_eviction" $PCB pcomp "${ctx[@]}" --method full --kv-eviction
expect_fail passkey_no_lengths "lengths is required" $PCB passkey
expect_fail passkey_bad_depth "depth 2 is outside" $PCB passkey --lengths 500 --depths 2
exit 0
