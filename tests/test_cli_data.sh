#!/usr/bin/env bash
# The project's data folder matches its inventory: every file under data/ has a row in
# data/SOURCES.md with its byte count and sha256, and every row names a file that is there.
set -u
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"
cd "$(dirname "$0")/.."
src=data/SOURCES.md
[ -f "$src" ] || { notok data_sources "missing $src"; exit 1; }
bad=""
while IFS= read -r f; do
    rel=${f#data/}
    row=$(grep -F "| $rel |" "$src" | head -1)
    if [ -z "$row" ]; then bad="$bad\n$rel: no row"; continue; fi
    bytes=$(echo "$row" | awk -F'|' '{gsub(/ /,"",$3); print $3}')
    sum=$(echo "$row" | awk -F'|' '{gsub(/ /,"",$5); print $5}')
    [ "$bytes" = "$(stat -c %s "$f")" ] || bad="$bad\n$rel: $bytes bytes in the table, $(stat -c %s "$f") on disk"
    [ "$sum" = "$(sha256sum "$f" | cut -c1-64)" ] || bad="$bad\n$rel: sha256 differs"
done < <(find data -type f ! -name SOURCES.md | sort)
while IFS= read -r rel; do
    [ -f "data/$rel" ] || bad="$bad\n$rel: in the table, not in data/"
done < <(grep -E '^\| [a-z0-9_./-]+\.[a-z]+ \| [0-9]+ \|' "$src" | awk -F'|' '{gsub(/ /,"",$2); print $2}')
if [ -z "$bad" ]; then ok data_sources_inventory; else notok data_sources_inventory "$(printf "$bad" | head -20)"; fi
grep -q "redistributes them for evaluation use only" "$src" && ok data_sources_essays_note || notok data_sources_essays_note
