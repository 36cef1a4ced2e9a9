# Shared helpers of the CLI test scripts: ok / not ok / skip lines and the failure checks.
# Sourced after PCB and tmp are set.
ok() { echo "ok - $1"; }
notok() { echo "not ok - $1"; shift; [ $# -gt 0 ] && echo "$*" | sed 's/^/  /'; }
# A sanitizer report (leak at exit, UB) fails a test even when the output looked right.
clean_stderr() { ! grep -q "Sanitizer" "$1"; }
# run_ok OUT CMD...: runs CMD with stdout to OUT and stderr to $tmp/err; true iff exit 0 and clean.
run_ok() {
    local out=$1; shift
    "$@" > "$out" 2> "$tmp/err" && clean_stderr "$tmp/err"
}
skip() { echo "skip - $1: $2"; }
# expect_fail NAME PATTERN CMD...: non-zero exit, no crash (exit < 128), stderr matches PATTERN
expect_fail() {
    local name=$1 pat=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -ne 0 ] && [ $rc -lt 128 ] && grep -qiE "$pat" "$tmp/err" && clean_stderr "$tmp/err"; then ok "$name"; else
        notok "$name" "rc=$rc stderr: $(head -c 400 "$tmp/err")"; fi
}

