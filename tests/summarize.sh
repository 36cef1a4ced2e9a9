#!/usr/bin/env bash
# Adds up the ok / not ok / skip lines of the test logs given and prints the closing line.
pass=0; fail=0; skip=0
for f in "$@"; do
    [ -f "$f" ] || { echo "not ok - missing test log $f"; fail=$((fail + 1)); continue; }
    pass=$((pass + $(grep -c "^ok - " "$f"))); fail=$((fail + $(grep -c "^not ok - " "$f"))); skip=$((skip + $(grep -c "^skip - " "$f")))
done
echo
echo "total: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
