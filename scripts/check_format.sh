#!/usr/bin/env bash
# make check-format: every C / CUDA source follows .clang-format (clang-format 14, as Debian
# bookworm ships it). Prints the files that differ and the ok / not ok line of the test summary.
set -u
cd "$(dirname "$0")/.."
if ! command -v clang-format >/dev/null; then
    echo "not ok - check_format: clang-format not found (make deps installs it)"
    exit 1
fi
bad=""
for f in $(git ls-files -co --exclude-standard 'bench/*.[ch]' 'analysis/*.[ch]' 'kernels/*.[ch]' 'kernels/*.cu' \
    'kernels/*.cuh' 'tests/*.[ch]'); do
    [ -f "$f" ] || continue
    clang-format "$f" | cmp -s - "$f" || bad="$bad $f"
done
if [ -z "$bad" ]; then echo "ok - check_format"; else
    echo "not ok - check_format: run clang-format -i on:$bad"
    exit 1
fi
