#!/usr/bin/env bash
# Runs every test binary in BUILD/tests and the CLI end-to-end script and counts their
# "ok - " / "not ok - " / "skip - " lines (tests/summarize.sh prints the closing line over both
# passes of make test). Usage: run_tests.sh BUILD MODEL PCBENCH
set -u
build=${1:-build}
export PCB_MODEL=${2:-models/SmolLM2-135M-Instruct.Q4_1.gguf}
pcbench=${3:-./pcbench}
log=$(mktemp)
one=$(mktemp)
trap 'rm -f "$log" "$one"' EXIT
status=0
label=""
[ -n "${PCB_SANITIZED:-}" ] && label=" (ASan+UBSan)"
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    echo "== $(basename "$t")$label"
    "$t" > "$one" 2>&1
    rc=$?
    cat "$one"
    cat "$one" >> "$log"
    if [ "$rc" -ne 0 ] && ! grep -q "^not ok" "$one"; then
        # crashed (signal, sanitizer or leak report) without reporting a failure itself
        echo "not ok - $(basename "$t") exited with status $rc" | tee -a "$log"
    fi
    [ "$rc" -ne 0 ] && status=1
done
for script in tests/test_cli*.sh; do
    echo "== $(basename "$script" .sh) end-to-end$label"
    bash "$script" "$pcbench" 2>&1 | tee -a "$log"
    [ "${PIPESTATUS[0]}" -ne 0 ] && status=1
done
pass=$(grep -c "^ok - " "$log")
fail=$(grep -c "^not ok - " "$log")
skip=$(grep -c "^skip - " "$log")
[ -n "${PCB_TEST_LOG:-}" ] && cp "$log" "$PCB_TEST_LOG"
echo
if [ -n "${PCB_SANITIZED:-}" ]; then pass_name=sanitized; else pass_name=optimised; fi
# Not in the closing-line shape on purpose: tests/summarize.sh prints the one CI reads.
echo "$pass_name pass: $pass ok, $fail not ok, $skip skipped"
[ "$fail" -eq 0 ] && exit $status || exit 1
