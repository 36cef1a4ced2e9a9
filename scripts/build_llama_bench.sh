#!/usr/bin/env bash
# Builds llama.cpp's llama-bench from the sources vendored in the PyPI sdist of
# llama-cpp-python (pinned), into build/llama.cpp/, for `make bench-compare`: the engine
# benchmark side by side with the fastest known C engine on the same GGUF file. Nothing of
# llama.cpp is committed here; it is fetched and built on demand (~10 minutes on 2 cores).
set -euo pipefail
VERSION=0.3.36
OUT=${LLAMA_CPP_DIR:-build/llama.cpp}
BIN="$OUT/build/bin/llama-bench"
if [ -x "$BIN" ]; then echo "$BIN"; exit 0; fi
command -v cmake >/dev/null || { echo "build_llama_bench: cmake is needed (apt-get install cmake)" >&2; exit 1; }
command -v g++ >/dev/null || { echo "build_llama_bench: g++ is needed (apt-get install g++)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "build_llama_bench: pip download llama-cpp-python==$VERSION (sdist)" >&2
python3 -m pip download -q --no-deps --no-binary :all: -d "$tmp" "llama-cpp-python==$VERSION" >&2 ||
    { echo "build_llama_bench: pip download failed (no network access to PyPI?)" >&2; exit 1; }
tar -xzf "$tmp"/llama_cpp_python-$VERSION.tar.gz -C "$tmp"
rm -rf "$OUT" && mkdir -p "$(dirname "$OUT")"
mv "$tmp/llama_cpp_python-$VERSION/vendor/llama.cpp" "$OUT"
# Explicit ISA flags instead of GGML_NATIVE: some VMs advertise AMX but fault on its tile
# instructions, and native detection would turn it on.
cmake -S "$OUT" -B "$OUT/build" -DCMAKE_BUILD_TYPE=Release -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON \
    -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_AVX512=ON -DGGML_AVX512_VNNI=ON -DGGML_AVX512_BF16=ON \
    -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF -DLLAMA_CURL=OFF -DLLAMA_BUILD_TESTS=OFF \
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF >&2
cmake --build "$OUT/build" --target llama-bench -j"$(nproc)" >&2
echo "$BIN"
