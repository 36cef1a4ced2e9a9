#!/usr/bin/env bash
# End-to-end tests of `pcbench merge` on bad input: nothing is created or changed on failure.
set -u
PCB=${1:-./pcbench}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/cli_lib.sh"

if run_ok "$tmp/help" $PCB merge --help && grep -q "usage: pcbench merge" "$tmp/help"; then ok help_merge; else notok help_merge; fi
expect_fail merge_needs_out "give the shard files and -o" $PCB merge "$tmp/a.sqlite"
expect_fail merge_missing_input "missing.sqlite: no such results file" $PCB merge "$tmp/missing.sqlite" -o "$tmp/out.sqlite"
if [ ! -e "$tmp/out.sqlite" ]; then ok merge_missing_input_creates_nothing; else notok merge_missing_input_creates_nothing; fi
echo "plain text, not a database at all ......................................................" > "$tmp/text.sqlite"
expect_fail merge_not_a_results_file "text.sqlite: not a pcbench results file" $PCB merge "$tmp/text.sqlite" -o "$tmp/out.sqlite"
sqlite3 "$tmp/other.sqlite" "CREATE TABLE t (x); PRAGMA user_version = 7;"
expect_fail merge_other_schema "other.sqlite: not a pcbench results file of schema version 1 \(found 7\)" \
    $PCB merge "$tmp/other.sqlite" -o "$tmp/out.sqlite"
if [ ! -e "$tmp/out.sqlite" ] && [ "$(sqlite3 "$tmp/other.sqlite" 'PRAGMA user_version')" = 7 ]; then ok merge_inputs_untouched; else
    notok merge_inputs_untouched; fi
