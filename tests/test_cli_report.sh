#!/usr/bin/env bash
# End-to-end tests of `pcbench report` / `pcbench tables` on a small real run of the default
# model with attention logs: every plot is drawn and non-empty, the HTML report opens in a real
# headless browser (Debian chromium) with every image loaded and no console error, a screenshot
# is taken; without gnuplot the report is still written and names the missing plots.
set -u
PCB=${1:-./pcbench}
MODEL=${PCB_MODEL:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

if [ ! -f "$MODEL" ]; then
    skip report_end_to_end "no model at $MODEL (make model)"
    exit 0
fi

# 6 rows: full and parallelcomp x passkey at 384 and 512 tokens (attention logged) and
# perplexity of one PG19 book at 1024 tokens (no attention log: ppl rows are scored windows).
cat > "$tmp/small.yaml" <<EOF
name: reporttest
model: $MODEL
threads: 2
output:
  db: $tmp/r.sqlite
  attn_dir: $tmp/attn
tasks:
  - name: passkey
    lengths: [384, 512]
  - name: ppl
    lengths: [1024]
    samples: 1
method:
  name: parallelcomp
  chunk_tokens: 128
  topk_chunks: 2
attention_log:
  enabled: true
sweep:
  method.name: [full, parallelcomp]
EOF
if run_ok "$tmp/run.out" $PCB run "$tmp/small.yaml" && [ "$(ls "$tmp"/attn/reporttest/*.h5 | wc -l)" = 4 ]; then
    ok report_run_with_attention_logs; else notok report_run_with_attention_logs "$(tail -3 "$tmp/err")"; fi

if run_ok "$tmp/rep.out" $PCB report --db "$tmp/r.sqlite" --attn "$tmp/attn" --out "$tmp/report" &&
    grep -q "index.html" "$tmp/rep.out"; then ok report_written; else notok report_written "$(cat "$tmp/err")"; fi
# Every plot the report shows exists as non-empty PNG (signature) + SVG + .gp, and the .gp redraws it.
imgs=$(grep -o 'src="[^"]*\.png"' "$tmp/report/index.html" | sed 's/src="//; s/"$//')
n_img=$(echo "$imgs" | grep -c png)
bad=0
for i in $imgs; do
    p="$tmp/report/$i"
    [ -s "$p" ] && [ "$(head -c 8 "$p" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] || bad=$((bad + 1))
    grep -q "<svg" "${p%.png}.svg" 2>/dev/null || bad=$((bad + 1))
    [ -s "${p%.png}.gp" ] || bad=$((bad + 1))
done
if [ "$n_img" -ge 12 ] && [ $bad = 0 ]; then ok report_plots_nonempty; else
    notok report_plots_nonempty "$n_img images, $bad problems"; fi
for want in score_vs_length_passkey ppl_vs_length prefill_vs_length speedup_vs_length peak_memory_vs_length kv_memory_vs_length \
    score_vs_kv_slots standard_vs_parallel _heatmap _class_map _class_ranges _layers; do
    grep -q "$want.png" "$tmp/report/index.html" || { notok "report_has_$want"; continue; }
    ok "report_has_$want"
done
rm -f "$tmp/report/plots/prefill_vs_length.png" "$tmp/report/plots/prefill_vs_length.svg"
if (cd "$tmp/report/plots" && gnuplot prefill_vs_length.gp 2>/dev/null) && [ -s "$tmp/report/plots/prefill_vs_length.png" ]; then
    ok report_gp_redraws; else notok report_gp_redraws; fi
if grep -q "table-synthetic" "$tmp/report/index.html" && grep -q "table-speed" "$tmp/report/index.html" &&
    grep -q "table-ppl" "$tmp/report/index.html"; then
    ok report_tables; else notok report_tables; fi

# The report in a real browser: every image loads, no console error, a screenshot.
browser=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
if [ -z "$browser" ]; then
    skip report_opens_in_browser "no chromium (apt-get install chromium)"
else
    flags="--headless --no-sandbox --disable-gpu --disable-dev-shm-usage --user-data-dir=$tmp/chrome"
    timeout 120 "$browser" $flags --enable-logging=stderr --v=0 --virtual-time-budget=5000 --dump-dom \
        "file://$tmp/report/index.html" > "$tmp/dom.html" 2> "$tmp/chrome.err"
    imgs_seen=$(grep -o 'data-images="[0-9]*"' "$tmp/dom.html" | grep -o "[0-9]*")
    broken=$(grep -o 'data-broken="[0-9]*"' "$tmp/dom.html" | grep -o "[0-9]*")
    if [ "${imgs_seen:-0}" = "$n_img" ] && [ "${broken:-x}" = 0 ]; then ok report_images_load_in_browser; else
        notok report_images_load_in_browser "images ${imgs_seen:-?} of $n_img, broken ${broken:-?}"; fi
    if ! grep -E "CONSOLE.*(Error|error|Uncaught)|Uncaught|Failed to load" "$tmp/chrome.err" > "$tmp/console"; then
        ok report_no_console_errors; else notok report_no_console_errors "$(head -3 "$tmp/console")"; fi
    timeout 120 "$browser" $flags --hide-scrollbars --window-size=1280,2400 --screenshot="$tmp/shot.png" \
        "file://$tmp/report/index.html" > /dev/null 2>&1
    # A rendered page compresses to tens of KiB; a blank one to a few hundred bytes.
    if [ -s "$tmp/shot.png" ] && [ "$(stat -c %s "$tmp/shot.png")" -gt 20000 ]; then ok report_screenshot; else
        notok report_screenshot "$(stat -c %s "$tmp/shot.png" 2>/dev/null) bytes"; fi
fi

# Without gnuplot: the report is written, lists the missing plots, exit status 3.
PCB_GNUPLOT=/nonexistent $PCB report --db "$tmp/r.sqlite" --out "$tmp/nognuplot" > /dev/null 2> "$tmp/err"
rc=$?
if [ $rc = 3 ] && [ -s "$tmp/nognuplot/index.html" ] && grep -q 'id="missing"' "$tmp/nognuplot/index.html" &&
    grep -q "gnuplot not found" "$tmp/nognuplot/index.html" && grep -q "not drawn" "$tmp/err" && clean_stderr "$tmp/err" &&
    ! ls "$tmp/nognuplot/plots/"*.png > /dev/null 2>&1; then ok report_without_gnuplot; else
    notok report_without_gnuplot "rc=$rc $(head -c 300 "$tmp/err")"; fi

# Bad input.
expect_fail report_missing_db "missing.sqlite" $PCB report --db "$tmp/missing.sqlite" --out "$tmp/x"
echo "not a database, just text ......................................................" > "$tmp/text.sqlite"
expect_fail report_not_a_db "text.sqlite" $PCB report --db "$tmp/text.sqlite" --out "$tmp/x"
expect_fail report_needs_out "give the results file and the report folder" $PCB report --db "$tmp/r.sqlite"
expect_fail report_missing_attn_dir "nope: cannot open" $PCB report --db "$tmp/r.sqlite" --attn "$tmp/nope" --out "$tmp/y"

# The same results as paper tables.
if run_ok "$tmp/t.md" $PCB tables --db "$tmp/r.sqlite" && grep -q "| full |" "$tmp/t.md" && grep -q "passkey 512" "$tmp/t.md"; then
    ok tables_from_real_run; else notok tables_from_real_run "$(head -5 "$tmp/t.md")"; fi
