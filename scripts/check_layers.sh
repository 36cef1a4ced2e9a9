#!/usr/bin/env bash
# make check-layers: every project include carries its path and points down the layers
# (README "Layout"):  bench/base <- model <- engine <- method <- tasks <- sweep <- cli <- main.c;
# kernels/ includes only kernels/ and is usable from bench/model upwards; analysis/ includes only
# bench/base and itself, and is usable from bench/sweep upwards. Prints one line per offending
# include (file:line: what and why) and the ok / not ok line of the test summary.
set -u
cd "$(dirname "$0")/.."
allowed() {  # room of the including file -> rooms it may include
    case $1 in
    bench/base) echo "bench/base" ;;
    bench/model) echo "bench/base bench/model kernels" ;;
    bench/engine) echo "bench/base bench/model bench/engine kernels" ;;
    bench/method) echo "bench/base bench/model bench/engine bench/method kernels" ;;
    bench/tasks) echo "bench/base bench/model bench/engine bench/method bench/tasks kernels" ;;
    bench/sweep) echo "bench/base bench/model bench/engine bench/method bench/tasks bench/sweep kernels analysis" ;;
    bench/cli | bench) echo "bench/base bench/model bench/engine bench/method bench/tasks bench/sweep bench/cli kernels analysis" ;;
    analysis) echo "bench/base analysis" ;;
    kernels) echo "kernels" ;;
    tests) echo "bench kernels analysis tests" ;;
    esac
}
room_of() {  # path -> its room (bench/<room>, or the top folder)
    case $1 in
    bench/*/*) echo "${1%%/*}/$(echo "$1" | cut -d/ -f2)" ;;
    bench/*) echo bench ;;
    *) echo "${1%%/*}" ;;
    esac
}
bad=0
files=$(git ls-files -co --exclude-standard 'bench/*' 'analysis/*' 'kernels/*' 'tests/*' |
    grep -E '\.(c|h|cu|cuh)$' | grep -v '^tests/golden/')
for f in $files; do
    [ -f "$f" ] || continue
    from=$(room_of "$f")
    ok_rooms=$(allowed "$from")
    while IFS=: read -r line inc; do
        [ -n "$inc" ] || continue
        case $inc in
        */*) ;;
        *) echo "$f:$line: \"$inc\": include with the path from the project root"; bad=1; continue ;;
        esac
        [ -f "$inc" ] || { echo "$f:$line: \"$inc\": no such file"; bad=1; continue; }
        to=$(room_of "$inc")
        hit=0
        for r in $ok_rooms; do
            case $to in "$r" | "$r"/*) hit=1 ;; esac
        done
        [ "$from" = "$to" ] && hit=1
        [ $hit = 1 ] || { echo "$f:$line: \"$inc\": $from must not include $to"; bad=1; }
    done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" | sed -E 's/^([0-9]+):.*"([^"]+)".*/\1:\2/')
done
if [ $bad = 0 ]; then echo "ok - check_layers"; else echo "not ok - check_layers"; exit 1; fi
